"""Stored component configs are built for runs without validating them again, until the
plugin that provides their flavor changes version; a config it no longer accepts is a
clear error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from runstack import Client, pipeline, step
from runstack.errors import ConfigError

InstallPlugin = Callable[..., Path]

PLUGIN = """
from pydantic import Field

from runstack import Flavor, FlavorConfig, hookimpl
from runstack.component_types import ComponentType


class Config(FlavorConfig):
    max_parallel: int | None = None
    mode: str = "threads"
{extra}


@hookimpl
def register_flavors(register):
    register(Flavor(
        name="acme",
        component_type=ComponentType.ORCHESTRATOR,
        config_class=Config,
        implementation="runstack_local_orchestrator.orchestrator:LocalOrchestrator",
        description="Runs steps here, the acme way.",
    ))
"""


def install_acme(install_plugin: InstallPlugin, version: str, extra: str = "") -> None:
    install_plugin(
        "acme-orchestrators",
        {
            "acme_orchestrators.__init__": "",
            "acme_orchestrators.plugin": PLUGIN.format(extra=extra),
        },
        entry_points={"acme": "acme_orchestrators.plugin"},
        version=version,
    )


@step
def one() -> int:
    return 1


@pipeline(enable_cache=False)
def single() -> None:
    one()


def test_config_a_new_plugin_version_no_longer_accepts_fails_the_run_in_one_clear_line(
    install_plugin: InstallPlugin,
) -> None:
    install_acme(install_plugin, "1.0.0")
    client = Client()
    client.register_component("orchestrator", "fast", "acme", {"max_parallel": 2})
    client.register_stack("acme_stack", {"orchestrator": "fast", "artifact_store": "default"})
    client.set_active_stack("acme_stack")
    assert single().status == "completed"
    assert single().status == "completed"  # built from the stored config as it is

    # Version 2 of the plugin requires a key the stored config does not have.
    install_acme(install_plugin, "2.0.0", extra="    queue: str = Field(description='Where.')")
    with pytest.raises(ConfigError) as raised:
        single()
    assert str(raised.value) == (
        "the orchestrator 'fast' cannot be built from its stored config with plugin 'acme' "
        "(acme-orchestrators 2.0.0): invalid config for the orchestrator flavor 'acme': queue: "
        "required, but not given; change the config with "
        "'runstack orchestrator update fast --KEY=VALUE'"
    )

    Client().update_component("orchestrator", "fast", {"queue": "main"})
    assert single().status == "completed"


def test_config_is_validated_again_when_the_plugin_version_changed(
    install_plugin: InstallPlugin,
) -> None:
    """A newer model may read the same stored values differently: it is the one used."""
    install_acme(install_plugin, "1.0.0")
    client = Client()
    client.register_component("orchestrator", "fast", "acme", {"mode": "threads"})
    client.register_stack("acme_stack", {"orchestrator": "fast", "artifact_store": "default"})
    client.set_active_stack("acme_stack")
    assert single().status == "completed"

    rejecting = (
        "    @field_validator('mode')\n"
        "    @classmethod\n"
        "    def _known(cls, value):\n"
        "        raise ValueError('threads are gone in 2.0')\n"
    )
    source = PLUGIN.replace(
        "from pydantic import Field", "from pydantic import Field, field_validator"
    )
    install_plugin(
        "acme-orchestrators",
        {
            "acme_orchestrators.__init__": "",
            "acme_orchestrators.plugin": source.format(extra=rejecting),
        },
        entry_points={"acme": "acme_orchestrators.plugin"},
        version="2.0.0",
    )
    with pytest.raises(ConfigError, match=r"mode: Value error, threads are gone in 2\.0"):
        single()
