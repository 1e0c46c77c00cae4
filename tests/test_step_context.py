"""Inside a step: `get_step_context()` (its run, name, outputs and built stack) wherever the
step runs, and the stack's components prepared and cleaned up around every step run."""

from __future__ import annotations

import contextvars
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pytest

from runstack import Client, RunstackError, get_step_context, pipeline, step
from runstack.component_types import ComponentType
from runstack.components import StepStack
from runstack.errors import ConfigError
from runstack.pipelines.runner import PipelineRunError
from runstack.testing import assert_step_component_contract

# -- what a step sees ------------------------------------------------------------------


@step(enable_cache=False)
def describe_context(value: int) -> Annotated[dict[str, Any], "facts"]:
    context = get_step_context()
    stack = context.stack
    return {
        "run_id": context.run_id,
        "run_name": context.run_name,
        "pipeline_name": context.pipeline_name,
        "step_name": context.step_name,
        "parameters": dict(context.parameters),
        "output_names": list(context.output_names),
        "output_uris": dict(context.output_uris),
        "orchestrator": stack.orchestrator.name,
        "artifact_store_root": stack.artifact_store.root,
        "experiment_tracker": stack.experiment_tracker,
        "tracked": context.experiment_tracker_enabled,
        "pid": os.getpid(),
    }


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_a_step_sees_its_run_name_parameters_outputs_and_built_stack(mode: str) -> None:
    @pipeline(settings={"orchestrator": {"mode": mode, "max_parallel": 1}})
    def described() -> None:
        describe_context(1)
        describe_context(2)

    run = described()
    second = run.steps["describe_context_2"]
    facts = second.outputs["facts"].load()
    pid = facts.pop("pid")
    assert (pid == os.getpid()) is (mode == "threads")
    assert facts == {
        "run_id": run.record.id,
        "run_name": run.name,
        "pipeline_name": "described",
        "step_name": "describe_context_2",
        "parameters": {"value": 2},
        "output_names": ["facts"],
        "output_uris": {"facts": second.outputs["facts"].uri},
        "orchestrator": "default",
        "artifact_store_root": Client().build_component(Client().active_stack.artifact_store).root,
        "experiment_tracker": None,
        "tracked": False,
    }
    assert run.steps["describe_context"].outputs["facts"].load()["step_name"] == "describe_context"


def test_outside_a_running_step_get_step_context_says_where_it_works() -> None:
    expected = "get_step_context() works only inside a running step; call it from a step's code"
    with pytest.raises(RunstackError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        get_step_context()
    with pytest.raises(RunstackError, match="a step called as a plain function has none"):
        describe_context(1)  # outside a pipeline, a step is just the function


def test_two_steps_running_at_once_each_see_their_own_context() -> None:
    both_running = threading.Barrier(2, timeout=20)

    @step(enable_cache=False)
    def meet(side: str) -> str:
        before = get_step_context().step_name
        both_running.wait()  # the other step has set its context by now
        return f"{side}: {before} -> {get_step_context().step_name}"

    @pipeline(settings={"orchestrator": {"mode": "threads", "max_parallel": 2}})
    def side_by_side() -> None:
        meet("left")
        meet("right")

    run = side_by_side()
    assert run.steps["meet"].outputs["output"].load() == "left: meet -> meet"
    assert run.steps["meet_2"].outputs["output"].load() == "right: meet_2 -> meet_2"


def test_a_thread_the_step_starts_sees_its_context_only_when_given_a_copy() -> None:
    @step(enable_cache=False)
    def threaded() -> list[str]:
        seen: list[str] = []

        def look() -> None:
            try:
                seen.append(get_step_context().step_name)
            except RunstackError:
                seen.append("no context")

        for thread in (
            threading.Thread(target=look),
            threading.Thread(target=contextvars.copy_context().run, args=(look,)),
        ):
            thread.start()
            thread.join()
        return seen

    @pipeline
    def starts_threads() -> None:
        threaded()

    assert starts_threads().steps["threaded"].outputs["output"].load() == [
        "no context",
        "threaded",
    ]


def test_the_step_stack_has_one_attribute_per_component_type() -> None:
    """A new component type must reach steps too: `context.stack.<type>`."""
    names = [name for name in StepStack.__dataclass_fields__ if name != "name"]
    assert names == [kind.value for kind in ComponentType]


# -- an experiment tracker and an alerter from a plugin ------------------------------------


@step(enable_cache=False)
def note(path: str) -> int:
    with Path(path).open("a", encoding="utf-8") as file:
        file.write(f"step {get_step_context().step_name} {os.getpid()}\n")
    return 1


def test_components_are_prepared_and_cleaned_up_around_each_step_run_in_its_process(
    recorded: Callable[..., Callable[[], list[str]]], tmp_path: Path
) -> None:
    read = recorded()
    calls = str(tmp_path / "calls.txt")

    @step(enable_cache=False, experiment_tracker=True, retries=1, retry_delay=0)
    def flaky(path: str) -> int:
        note(path)  # a plain call: the function
        if not Path(path + ".tried").exists():
            Path(path + ".tried").write_text("")
            raise RuntimeError("first attempt fails")
        return 1

    @pipeline(settings={"orchestrator": {"mode": "processes", "max_parallel": 1}})
    def tracked(path: str) -> None:
        flaky(path)
        note(path)

    tracked(calls)
    lines = read()
    pid = lines[0].split()[-1]
    assert pid != "PID", "in processes mode the step runs in a worker process"
    assert [line.replace(pid, "WORKER") for line in lines] == [
        "tracker prepare flaky tracked WORKER",
        "alerts prepare flaky tracked WORKER",
        "step flaky WORKER",  # the first attempt
        "step flaky WORKER",  # its retry, inside the same preparation
        "alerts cleanup flaky failed=False WORKER",
        "tracker cleanup flaky failed=False WORKER",
        "tracker prepare note untracked WORKER",
        "alerts prepare note untracked WORKER",
        "step note WORKER",
        "alerts cleanup note failed=False WORKER",
        "tracker cleanup note failed=False WORKER",
    ]


def test_a_failed_step_is_cleaned_up_as_failed_and_a_cached_one_is_not_prepared(
    recorded: Callable[..., Callable[[], list[str]]], tmp_path: Path
) -> None:
    read = recorded()

    @step(experiment_tracker=True)
    def fine() -> int:
        return 1

    @step
    def broken(value: int) -> int:
        raise ValueError(f"cannot use {value}")

    @pipeline
    def failing() -> None:
        broken(fine())

    with pytest.raises(PipelineRunError, match="ValueError: cannot use 1") as raised:
        failing()
    assert read()[-3:] == [
        "alerts cleanup broken failed=True PID",
        "tracker cleanup broken failed=True PID",
        f"alerts post Run {raised.value.run.name!r} of pipeline 'failing' failed on stack "
        "'recorded': step 'broken' raised ValueError: cannot use 1",  # the run's end, posted
    ]
    before = len(read())
    with pytest.raises(PipelineRunError):
        failing()
    steps = [line.split()[2] for line in read()[before:] if " post " not in line]
    assert steps == ["broken"] * 4  # `fine` was cached


def test_steps_opt_into_the_tracker_by_decorator_with_options_or_run_config(
    recorded: Callable[..., Callable[[], list[str]]], tmp_path: Path
) -> None:
    read = recorded()

    @step(enable_cache=False, experiment_tracker=True)
    def decorated() -> int:
        return 1

    @step(enable_cache=False)
    def plain() -> int:
        return 1

    @pipeline
    def opting() -> None:
        decorated()
        plain.with_options(experiment_tracker=True)()
        plain()
        plain()

    config = tmp_path / "run.toml"
    config.write_text("[steps.plain_3]\nexperiment_tracker = true\n", encoding="utf-8")
    opting.with_options(config_path=config)()
    prepared = sorted(line.split()[2:4] for line in read() if line.startswith("tracker prepare"))
    assert prepared == [
        ["decorated", "tracked"],
        ["plain", "tracked"],
        ["plain_2", "untracked"],
        ["plain_3", "tracked"],
    ]


def test_a_component_that_fails_to_prepare_fails_the_step_naming_it(
    recorded: Callable[..., Callable[[], list[str]]], tmp_path: Path
) -> None:
    read = recorded(alerter={"fail_prepare": True})
    calls = str(tmp_path / "calls.txt")

    @pipeline
    def one() -> None:
        note(calls)

    with pytest.raises(PipelineRunError) as raised:
        one()
    message = (
        "step 'note': alerter 'alerts' failed to prepare it: "
        "RuntimeError: no tracking server at http://nowhere"
    )
    assert message in str(raised.value)
    step_run = raised.value.run.steps["note"]
    assert step_run.record.error.strip() == message
    assert "Traceback" in step_run.logs and "no tracking server" in step_run.logs
    # the step's code never ran; the tracker, prepared before, is cleaned up
    assert read()[:-1] == [
        "tracker prepare note untracked PID",
        "alerts prepare note untracked PID",
        "tracker cleanup note failed=True PID",
    ]
    assert read()[-1].startswith(f"alerts post Run {raised.value.run.name!r} of pipeline 'one'")


def test_a_component_that_fails_to_clean_up_fails_only_a_step_that_succeeded(
    recorded: Callable[..., Callable[[], list[str]]], tmp_path: Path
) -> None:
    recorded(tracker={"fail_cleanup": True}, alerter={"fail_cleanup": True})

    @step(enable_cache=False)
    def broken() -> int:
        raise ValueError("the step's own error")

    @pipeline
    def one() -> None:
        note(str(tmp_path / "notes.txt"))

    @pipeline
    def two() -> None:
        broken()

    with pytest.raises(PipelineRunError) as raised:
        one()
    message = (
        "step 'note': alerter 'alerts' failed to clean up after it: "
        "RuntimeError: could not close the tracking run"
    )
    assert message in str(raised.value)
    note_run = raised.value.run.steps["note"]
    assert note_run.record.status.value == "failed"
    assert note_run.outputs == {}
    artifact_store = Client().build_component(Client().active_stack.artifact_store)
    assert not artifact_store.exists(f"one/{raised.value.run.record.id}/note/output")
    # the tracker's cleanup failed too, after the alerter's: it is in the log
    assert "experiment tracker 'tracker' failed to clean up after it" in note_run.logs

    with pytest.raises(PipelineRunError) as raised:
        two()
    broken_run = raised.value.run.steps["broken"]
    assert "ValueError: the step's own error" in broken_run.record.error
    assert "failed to clean up" not in broken_run.record.error
    assert message.replace("note", "broken") in broken_run.logs


def test_a_step_posts_through_the_stack_s_alerter(
    recorded: Callable[..., Callable[[], list[str]]],
) -> None:
    read = recorded()

    @step(enable_cache=False)
    def announce() -> None:
        alerter = get_step_context().stack.alerter
        assert alerter is not None
        alerter.post(f"run {get_step_context().run_name} is training")

    @pipeline
    def announcing() -> None:
        announce()

    run = announcing()
    assert f"alerts post run {run.name} is training" in read()


def test_a_step_asking_for_a_tracker_on_a_stack_without_one_is_refused_at_run_start(
    write_module: Callable[..., Path], cli_error: Callable[..., str]
) -> None:
    path = write_module(
        """
        @step(experiment_tracker=True)
        def train() -> int:
            return 1


        @pipeline
        def tracked() -> None:
            train()
        """
    )
    assert cli_error("pipeline", "run", f"{path}:tracked") == (
        "Error: step 'train' asks for an experiment tracker (experiment_tracker=True) but "
        "stack 'default' has none; add one with 'runstack stack update default -e TRACKER' "
        "or run on another stack"
    )
    assert Client().runs.list() == []


def test_a_step_names_the_stack_s_tracker_as_zenml_code_does(
    recorded: Callable[..., Callable[[], list[str]]],
) -> None:
    read = recorded()
    experiment_tracker = Client().active_stack.experiment_tracker
    assert Client().active_stack.model_deployer is None

    @step(enable_cache=False, experiment_tracker=experiment_tracker.name)
    def train() -> int:
        return 1

    @pipeline
    def tracked() -> None:
        train()

    run = tracked()
    assert [line.split()[1:4] for line in read() if line.startswith("tracker prepare")] == [
        ["prepare", "train", "tracked"]
    ]
    assert run.record.config["steps"]["train"]["experiment_tracker"] == "tracker"

    @pipeline
    def mistaken() -> None:
        train.with_options(experiment_tracker="mlflow_tracker")()

    with pytest.raises(ConfigError) as raised:
        mistaken()
    assert str(raised.value) == (
        "step 'train' asks for the experiment tracker 'mlflow_tracker' but stack 'recorded' "
        "has 'tracker'; name that one, or set a stack whose tracker is 'mlflow_tracker' "
        "('runstack stack set')"
    )


def test_experiment_tracker_must_be_a_flag_or_a_name(tmp_path: Path) -> None:
    for wrong in ("", 1, ["tracker"]):
        with pytest.raises(ConfigError, match="experiment_tracker takes True, False or the nam"):
            step(experiment_tracker=wrong)(lambda: None)  # type: ignore[call-overload]
    with pytest.raises(AttributeError, match="a stack has no attribute 'tracker'"):
        Client().active_stack.tracker  # noqa: B018

    @pipeline
    def nothing() -> None:
        describe_context(1)

    config = tmp_path / "run.toml"
    config.write_text("[steps.describe_context]\nexperiment_tracker = 1\n", encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"steps\.describe_context\.experiment_tracker: must be true"
    ):
        nothing.with_options(config_path=config)()


def test_the_contract_kit_checks_a_component_around_steps_where_they_run(
    recorded: Callable[..., Callable[[], list[str]]],
) -> None:
    read = recorded(alerter={"fail_prepare": True})
    client = Client()
    tracker = client.build_component(client.get_component("experiment_tracker", "tracker"))
    assert_step_component_contract(tracker, "experiment_tracker")
    assert [line.split()[:3] for line in read()] == [
        ["tracker", event, step]
        for step in ("tracked", "failing", "untracked")
        for event in ("prepare", "cleanup")
    ]
    alerter = client.build_component(client.get_component("alerter", "alerts"))
    with pytest.raises(AssertionError, match="alerter 'alerts' failed to prepare it"):
        assert_step_component_contract(alerter, "alerter")
    tracker.lock = threading.Lock()  # type: ignore[attr-defined]
    with pytest.raises(AssertionError, match="cannot travel with a step's work"):
        assert_step_component_contract(tracker, "experiment_tracker")


# -- what components and steps record about a step run -------------------------------------


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_what_a_tracker_and_a_step_record_is_kept_on_the_step_run_and_described(
    recorded: Callable[..., Callable[[], list[str]]],
    cli_fails: Callable[..., tuple[str, str]],
    cli_ok: Callable[..., str],
    mode: str,
) -> None:
    recorded()

    @step(enable_cache=False, experiment_tracker=True)
    def measured() -> int:
        get_step_context().add_metadata({"rows": 3, "source": "s3://in"})
        return 1

    @step(enable_cache=False, experiment_tracker=True)
    def broken(value: int) -> None:
        raise ValueError("no")

    @step(enable_cache=False)
    def untracked() -> int:
        return 2

    @pipeline(settings={"orchestrator": {"mode": mode}})
    def recording() -> None:
        broken(measured())
        untracked()

    with pytest.raises(PipelineRunError):
        recording()
    run = Client().runs.list()[0]
    steps = Client().runs.get(run.id).steps
    ids = {name: step_run.record.id for name, step_run in steps.items()}
    assert steps["measured"].record.metadata == {
        "tracking_run": ids["measured"],
        "tracker": "tracker",
        "rows": 3,
        "source": "s3://in",
    }
    assert steps["broken"].record.metadata == {"tracking_run": ids["broken"], "tracker": "tracker"}
    assert steps["untracked"].record.metadata == {}
    described = cli_ok("run", "describe", run.name)
    assert (
        "\nStep 'measured' recorded:\n"
        f"  tracking_run: {ids['measured']}\n"
        "  tracker:      tracker\n"
        "  rows:         3\n"
        "  source:       s3://in\n"
        "\nStep 'broken' recorded:\n"
        f"  tracking_run: {ids['broken']}\n"
        "  tracker:      tracker\n"
    ) in described
    assert "'untracked' recorded" not in described
    as_json = json.loads(cli_ok("run", "describe", run.name, "-o", "json"))
    assert [s["metadata"] for s in as_json["steps"]] == [
        steps[name].record.metadata for name in ("measured", "broken", "untracked")
    ]


def test_step_metadata_must_be_json_values_under_string_keys() -> None:
    @step(enable_cache=False)
    def odd() -> None:
        get_step_context().add_metadata({"rows": [1, {2}]})

    @pipeline
    def recording_odd() -> None:
        odd()

    with pytest.raises(PipelineRunError, match="metadata 'rows' is of type set, not a JSON value"):
        recording_odd()
