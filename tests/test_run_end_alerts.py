"""The stack's alerter is told how each run ended, once the run is recorded, in the process that
ran it: by default it posts a failed run's summary, and whatever it raises, the run's outcome
and exit code stay what they were."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from runstack import Client
from runstack.pipelines.runner import PipelineRunError
from server_helpers import TeamServer, unique

Recorded = Callable[..., Callable[[], list[str]]]

# A pipeline file, run through the CLI or imported (`write_module`, `import_module`).
FLOW = """
@step(enable_cache=False)
def train(fail: bool = False) -> int:
    if fail:
        raise ValueError("the loss is NaN")
    return 1


@pipeline
def training(fail: bool = False) -> None:
    train(fail=fail)
"""


def posts(read: Callable[[], list[str]]) -> list[str]:
    return [line.removeprefix("alerts post ") for line in read() if line.startswith("alerts post")]


def test_a_failed_run_is_posted_by_default_and_a_completed_one_is_not(
    recorded: Recorded, import_module: Callable[[str], ModuleType]
) -> None:
    read = recorded()
    training = import_module(FLOW).training
    training()
    assert posts(read) == []

    with pytest.raises(PipelineRunError) as raised:
        training(fail=True)
    assert posts(read) == [
        f"Run {raised.value.run.name!r} of pipeline 'training' failed on stack 'recorded': "
        "step 'train' raised ValueError: the loss is NaN"
    ]


def test_an_alerter_that_fails_at_the_run_s_end_is_one_warning_and_changes_nothing(
    recorded: Recorded, run_cli: Callable[..., object], write_module: Callable[[str], Path]
) -> None:
    read = recorded(alerter={"fail_post": True})
    flow = write_module(FLOW)

    failed = run_cli("pipeline", "run", f"{flow}:training", "--param", "fail=true")
    assert failed.exit_code == 1  # type: ignore[attr-defined]
    run = Client().runs.list(limit=1)[0]
    assert run.status.value == "failed"
    warning, error = failed.stderr.splitlines()  # type: ignore[attr-defined]
    assert warning == (
        f"Warning: alerter 'alerts' could not report the end of run {run.name!r} (failed): "
        "RuntimeError: the chat service is down"
    )
    assert error.startswith(f"Error: run {run.name!r} failed: step 'train' raised ValueError")
    assert len(posts(read)) == 1  # it tried

    completed = run_cli("pipeline", "run", f"{flow}:training")
    assert completed.exit_code == 0, completed.output  # type: ignore[attr-defined]
    assert completed.stderr == ""  # type: ignore[attr-defined]


def test_the_message_links_the_run_on_the_team_server_logged_in_to(
    recorded: Recorded,
    logged_in: TeamServer,
    import_module: Callable[[str], ModuleType],
    tmp_path: Path,
) -> None:
    recorded()  # installs the plugin; the stack is made here, under names no other test uses
    client = Client()
    calls = tmp_path / "linked.txt"
    alerter = client.register_component(
        "alerter", unique("alerts"), "recording", {"path": str(calls)}
    )
    stack = unique("alerted")
    client.register_stack(
        stack, {"orchestrator": "default", "artifact_store": "default", "alerter": alerter.name}
    )

    with pytest.raises(PipelineRunError) as raised:
        import_module(FLOW).training.with_options(stack=stack)(fail=True)
    posted = calls.read_text(encoding="utf-8").splitlines()[-1]  # after prepare and cleanup
    assert posted.endswith(
        f"step 'train' raised ValueError: the loss is NaN "
        f"{logged_in.url}/runs/{raised.value.run.record.id}"
    )
