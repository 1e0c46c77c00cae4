"""Shared fixtures: a third-party flavor package installed the way pip would, and CLI runners."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from click.testing import Result

ACME_PLUGIN = """
from pydantic import Field, SecretStr

from runstack import Flavor, FlavorConfig, hookimpl
from runstack.component_types import ComponentType


class AcmeTrackerConfig(FlavorConfig):
    url: str = Field(description="Where the tracking server listens.")
    token: SecretStr | None = Field(default=None, description="API token.")
    retries: int = Field(default=3, ge=0, description="How often to retry a request.")
    tags: list[str] = Field(default_factory=list, description="Tags added to every run.")
    verbose: bool = Field(default=False, description="Log every request.")


@hookimpl
def register_flavors(register):
    register(
        Flavor(
            name="acme",
            type=ComponentType.EXPERIMENT_TRACKER,
            config_class=AcmeTrackerConfig,
            implementation="acme_runstack.tracker:AcmeTracker",
            description="Tracks experiments on an Acme server.",
            local=False,
        )
    )
"""

ACME_TRACKER = """
from runstack.components import BaseComponent


class AcmeTracker(BaseComponent):
    def describe(self):
        return {"url": self.config.url}
"""


@pytest.fixture
def acme_plugin(install_plugin: Callable[..., Path]) -> Path:
    """Install `acme-runstack`, a third-party plugin with an `acme` experiment tracker flavor.

    Its config has a required key (`url`), a secret (`token`), an int, a list and a bool.
    """
    return install_plugin(
        "acme-runstack",
        {
            "acme_runstack.__init__": "",
            "acme_runstack.plugin": ACME_PLUGIN,
            "acme_runstack.tracker": ACME_TRACKER,
        },
        entry_points={"acme": "acme_runstack.plugin"},
    )


@pytest.fixture
def cli_ok(run_cli: Callable[..., Result]) -> Callable[..., str]:
    """Run `runstack ARGS...`, which must succeed quietly on stderr; its stdout."""

    def run(*arguments: str, input: str | None = None) -> str:
        result = run_cli(*arguments, input=input)
        assert result.exit_code == 0, result.output
        assert result.stderr == ""
        return str(result.stdout)

    return run


@pytest.fixture
def cli_json(cli_ok: Callable[..., str]) -> Callable[..., Any]:
    """Run a list or describe command with `--output json`; the parsed JSON."""

    def run(*arguments: str) -> Any:
        return json.loads(cli_ok(*arguments, "--output", "json"))

    return run


@pytest.fixture
def cli_error(run_cli: Callable[..., Result]) -> Callable[..., str]:
    """Run a command that must fail with one `Error: ...` line on stderr and no stdout; the line."""

    def run(*arguments: str) -> str:
        result = run_cli(*arguments)
        assert result.exit_code != 0, result.output
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("Error: "), result.stderr
        return str(lines[0])

    return run
