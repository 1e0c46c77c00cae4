"""Client lookups as ZenML users write them: `Client().get_pipeline(name).last_run`,
`get_pipeline_run`, `my_pipeline.last_run`, and `outputs[name][0]` from ZenML versions whose
outputs were lists (issue 14)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from runstack import Client, pipeline, step
from runstack.errors import ConfigError, NotFoundError
from runstack.pipelines.runner import PipelineRunError


@step
def load(n: int) -> list[int]:
    return list(range(n))


@step
def total(values: list[int]) -> int:
    if len(values) > 9:
        raise ValueError("too many rows")
    return sum(values)


@pipeline
def training(n: int = 3) -> None:
    total(load(n))


def test_the_last_run_of_a_pipeline_as_zenml_reads_it() -> None:
    first = training(n=3)
    second = training(n=4)
    with pytest.raises(PipelineRunError, match="too many rows"):
        training(n=10)

    client = Client()
    found = client.get_pipeline("training")
    assert found.name == "training"
    assert found.last_run.status.value == "failed"
    assert found.last_successful_run.id == second.id
    assert [run.id for run in found.runs][1:] == [second.id, first.id]
    assert training.last_run.id == found.last_run.id
    assert client.get_pipeline_run(second.name).id == second.id
    assert repr(found) == "<Pipeline training, 3 run(s)>"


def test_an_output_reads_as_itself_and_as_a_list_of_one() -> None:
    run = training(n=3)
    output = Client().get_pipeline_run(run.id).steps["total"].outputs["output"]
    assert output.load() == output[0].load() == 3
    assert len(output) == 1
    assert [artifact.id for artifact in output] == [output.id]
    with pytest.raises(IndexError, match="only \\[0\\]"):
        _ = output[1]


def test_a_pipeline_that_never_ran_is_a_clear_error() -> None:
    with pytest.raises(NotFoundError, match="no pipeline named 'nightly' has run"):
        Client().get_pipeline("nightly")
    with pytest.raises(NotFoundError, match="no pipeline named 'training' has run"):
        _ = training.last_run


N_LOADS = 3


@step
def load_part(index: int) -> int:
    return index * 10


@step
def combine_parts() -> int:
    """Fan-in as ZenML's docs write it: read the parts through the client, by step id."""
    from runstack import get_step_context

    run = Client().get_run(get_step_context().run_id)
    return sum(run.steps[f"load_{i}"].outputs["output"].load() for i in range(N_LOADS))


@pipeline
def fan_out_fan_in() -> None:
    loaded = []
    for i in range(N_LOADS):
        step_id = f"load_{i}"
        load_part(i, id=step_id)
        loaded.append(step_id)
    combine_parts(after=loaded)


def test_step_calls_take_an_id_and_the_steps_to_run_after() -> None:
    run = fan_out_fan_in.with_options(settings={"orchestrator": {"max_parallel": 4}})()
    assert list(run.steps) == ["load_0", "load_1", "load_2", "combine_parts"]
    assert run.steps["combine_parts"].outputs["output"].load() == 30


def twice_the_same_id() -> None:
    load_part(1, id="a")
    load_part(2, id="a")


def an_id_that_is_not_text() -> None:
    load_part(1, id=3)


def after_a_step_not_called_yet() -> None:
    combine_parts(after=["load_9"])


def an_id_that_is_no_name() -> None:
    load_part(1, id="a/b")


@pytest.mark.parametrize(
    ("wiring", "said"),
    [
        (twice_the_same_id, "pipeline 'bad' calls two steps with id 'a'"),
        (an_id_that_is_not_text, "a step's id= takes text, got 3"),
        (after_a_step_not_called_yet, "after= names 'load_9', which no step called before"),
        (an_id_that_is_no_name, "'a/b'"),
    ],
    ids=lambda value: getattr(value, "__name__", "said"),
)
def test_bad_step_ids_and_orders_are_refused_before_anything_runs(
    wiring: Callable[[], None], said: str
) -> None:
    bad = pipeline(name="bad")(wiring)
    with pytest.raises(ConfigError, match=re.escape(said)):
        bad()
    assert Client().runs.list() == []
