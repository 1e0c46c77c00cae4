"""Client lookups as ZenML users write them: `Client().get_pipeline(name).last_run`,
`get_pipeline_run`, `my_pipeline.last_run`, and `outputs[name][0]` from ZenML versions whose
outputs were lists (issue 14)."""

from __future__ import annotations

import pytest

from runstack import Client, pipeline, step
from runstack.errors import NotFoundError
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
