"""Settings keys qualified by a flavor ("orchestrator.local") apply only on stacks whose
component has that flavor, so one pipeline and run config serve every stack."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline_helpers import statuses
from runstack import pipeline, step
from runstack.components import BaseOrchestrator
from runstack.errors import ConfigError


@step
def where() -> int:
    return os.getpid()


def test_flavor_qualified_settings_apply_on_a_stack_of_that_flavor() -> None:
    @pipeline(settings={"orchestrator.local": {"mode": "processes"}})
    def flow() -> None:
        where()

    run = flow()
    assert run.steps["where"].outputs["output"].load() != os.getpid()


def test_flavor_qualified_settings_override_plain_ones_key_by_key() -> None:
    @pipeline(
        settings={
            "orchestrator": {"mode": "threads", "max_parallel": 1},
            "orchestrator.local": {"mode": "processes"},
        }
    )
    def flow() -> None:
        where()

    run = flow()
    assert run.steps["where"].outputs["output"].load() != os.getpid()


def test_settings_for_another_flavor_are_ignored_so_a_stack_switch_needs_no_change(
    sequential: BaseOrchestrator, tmp_path: Path
) -> None:
    config = tmp_path / "run.toml"
    config.write_text('[settings."orchestrator.local"]\nmode = "processes"\n', encoding="utf-8")

    @step(enable_cache=False, settings={"orchestrator.local": {"max_parallel": 2}})
    def make() -> int:
        return 1

    @pipeline(settings={"orchestrator.local": {"max_parallel": 2}})
    def flow() -> None:
        make()

    for stack in ("sequential", "default"):
        run = flow.with_options(config_path=config, stack=stack)()
        assert statuses(run) == {"make": "completed"}
    on_local = flow.with_options(settings={"orchestrator.sequential": {"anything": 1}})()
    assert statuses(on_local) == {"make": "completed"}


def test_plain_orchestrator_settings_stay_checked_against_the_stacks_flavor(
    sequential: BaseOrchestrator,
) -> None:
    @pipeline(stack="sequential", settings={"orchestrator": {"mode": "processes"}})
    def flow() -> None:
        where()

    with pytest.raises(ConfigError, match="'sequential' takes no settings, got mode"):
        flow()


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("orchestrator.local", "unknown setting key 'mdoe' for the orchestrator flavor 'local'"),
        ("orchestrator.", "settings key 'orchestrator.' names no flavor after the dot"),
        ("orchestrate.local", "unknown component type 'orchestrate'"),
    ],
)
def test_a_bad_flavor_qualified_settings_key_is_refused(key: str, says: str) -> None:
    @pipeline(settings={key: {"mdoe": "processes"}})
    def flow() -> None:
        where()

    with pytest.raises(ConfigError) as refused:
        flow()
    assert says in str(refused.value)
