"""A flavor may name its config class by `"module:Class"` path: loading the plugin then builds
no model for flavors a command does not use, and a path that leads nowhere is the author's
mistake, reported by `plugin list` and refused at registration."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from runstack import Client
from runstack.testing import assert_flavor_contract, parse_table

if TYPE_CHECKING:
    from click.testing import Result

CONFIG = """
from pydantic import Field

from runstack import FlavorConfig


class TrackerConfig(FlavorConfig):
    url: str = Field(description="Where the server listens.")
"""

PLUGIN = """
from runstack import Flavor, hookimpl
from runstack.component_types import ComponentType


@hookimpl
def register_flavors(register):
    register(Flavor(
        name="lazy",
        component_type=ComponentType.EXPERIMENT_TRACKER,
        config_class="lazy_tracker.{config}",
        implementation="lazy_tracker.tracker:Tracker",
        description="Tracks experiments.",
        local=False,
    ))
"""

TRACKER = """
from runstack.components import BaseExperimentTracker


class Tracker(BaseExperimentTracker):
    pass
"""


def install(install_plugin: Callable[..., Path], config_path: str) -> None:
    install_plugin(
        "lazy-tracker",
        {
            "lazy_tracker.__init__": "",
            "lazy_tracker.plugin": PLUGIN.replace("{config}", config_path),
            "lazy_tracker.config": CONFIG,
            "lazy_tracker.tracker": TRACKER,
        },
        entry_points={"lazy": "lazy_tracker.plugin"},
    )


def test_a_config_named_by_path_is_imported_only_when_needed(
    install_plugin: Callable[..., Path], cli_ok: Callable[..., str]
) -> None:
    install(install_plugin, "config:TrackerConfig")
    listed = parse_table(cli_ok("flavor", "list"))
    assert "lazy" in [row["FLAVOR"] for row in listed]
    assert "lazy_tracker.config" not in sys.modules

    cli_ok("experiment-tracker", "register", "t", "-f", "lazy", "--url=http://x")
    assert "lazy_tracker.config" in sys.modules
    assert Client().get_component("experiment_tracker", "t").config == {"url": "http://x"}
    assert "url" in cli_ok("experiment-tracker", "flavor", "describe", "lazy")
    assert_flavor_contract(Client().get_flavor("experiment_tracker", "lazy"))


@pytest.mark.parametrize(
    ("path", "mistake"),
    [
        ("config:Missing", "module 'lazy_tracker.config' defines no 'Missing'"),
        ("nowhere:TrackerConfig", "there is no module 'lazy_tracker.nowhere'"),
    ],
)
def test_a_config_path_that_leads_nowhere_is_the_author_s_mistake(
    install_plugin: Callable[..., Path],
    run_cli: Callable[..., Result],
    cli_error: Callable[..., str],
    path: str,
    mistake: str,
) -> None:
    install(install_plugin, path)
    listed = run_cli("plugin", "list", "-o", "json")
    assert listed.exit_code == 0
    assert mistake in listed.stdout and "report this to the plugin's authors" in listed.stdout
    refused = cli_error("experiment-tracker", "register", "t", "-f", "lazy", "--url=http://x")
    assert refused.startswith(
        f"Error: the experiment tracker flavor 'lazy' names 'lazy_tracker.{path}'"
    )
    assert Client().list_components("experiment_tracker") == []
