"""The graph as ZenML users write it: when a `Tuple[...]` annotation means several outputs,
a step's several outputs passed whole as one input, and a pipeline called inside another
(issue 14)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Tuple  # noqa: UP035 (ZenML's docs write typing.Tuple)

import pytest

from runstack import Client, pipeline, step
from runstack.errors import ConfigError, NotFoundError
from server_helpers import TeamServer, unique

# -- ZenML's tuple rule: the `return` statement decides ----------------------------------


@step
def split_rows() -> Tuple[Annotated[list[int], "train"], Annotated[list[int], "test"]]:  # noqa: UP006
    rows = list(range(10))
    return rows[:8], rows[8:]


@step
def make_pair() -> Tuple[int, str]:  # noqa: UP006
    pair = (1, "one")
    return pair


@step
def pair_from_helper() -> tuple[int, int]:
    def bounds() -> tuple[int, int]:
        return 0, 9  # a nested function's return says nothing about the step's

    return bounds()


@step
def count(rows: list[int], pair: tuple[int, str], limits: tuple[int, int]) -> int:
    return len(rows) + pair[0] + limits[1]


@pipeline
def tuple_rule() -> None:
    train, _ = split_rows()
    count(train, make_pair(), pair_from_helper())


def test_a_tuple_annotation_is_several_outputs_only_when_a_tuple_literal_is_returned() -> None:
    for cached in (False, True):
        run = tuple_rule()
        steps = run.steps
        assert set(steps["split_rows"].outputs) == {"train", "test"}
        assert steps["split_rows"].outputs["test"].load() == [8, 9]
        assert list(steps["make_pair"].outputs) == ["output"]
        assert tuple(steps["make_pair"].outputs["output"].load()) == (1, "one")
        assert list(steps["pair_from_helper"].outputs) == ["output"]
        assert steps["count"].outputs["output"].load() == 8 + 1 + 9
        assert all(s.cached is cached for s in steps.values())


PAIR_SOURCE = """
from runstack import step

def define():
    @step
    def pair() -> tuple[int, int]:
        both = (1, 2)
        return both
    return pair
"""


def test_without_its_source_a_tuple_annotation_alone_decides(tmp_path: Path) -> None:
    def output_names(filename: str) -> list[str]:
        namespace: dict[str, Any] = {}
        exec(compile(PAIR_SOURCE, filename, "exec"), namespace)
        return [output.name for output in namespace["define"]().outputs]

    in_a_file = tmp_path / "pairs.py"
    in_a_file.write_text(PAIR_SOURCE, encoding="utf-8")
    assert output_names(str(in_a_file)) == ["output"]
    assert output_names("<no file>") == ["output_0", "output_1"]


# -- several outputs passed whole as one input ------------------------------------------


@step
def split() -> Tuple[Annotated[int, "low"], Annotated[int, "high"]]:  # noqa: UP006
    return 1, 9


@step
def spread(parts: Tuple[int, int]) -> int:  # noqa: UP006
    low, high = parts
    return high - low


@pipeline
def whole_outputs() -> None:
    parts = split()
    spread(parts)


def test_several_outputs_passed_whole_reach_the_step_as_one_tuple() -> None:
    first = whole_outputs()
    second = whole_outputs()

    assert first.steps["spread"].outputs["output"].load() == 8
    made = first.steps["split"].outputs
    read = Client().get_run(first.id).steps["spread"].inputs
    assert {name: artifact.id for name, artifact in read.items()} == {
        "parts[0]": made["low"].id,
        "parts[1]": made["high"].id,
    }
    assert second.steps["spread"].cached and second.steps["split"].cached
    assert second.steps["spread"].outputs["output"].load() == 8


def test_outputs_passed_whole_keep_their_lineage_on_the_team_server(logged_in: TeamServer) -> None:
    flow = whole_outputs.with_options(name=unique("whole"))
    first = flow()
    second = flow()
    assert sorted(first.steps["spread"].inputs) == ["parts[0]", "parts[1]"]
    assert second.steps["spread"].cached
    assert second.steps["spread"].outputs["output"].load() == 8


@step
def widen(value: int) -> int:
    return value * 2


def test_outputs_passed_whole_to_a_parameter_that_takes_no_tuple_are_refused() -> None:
    @pipeline
    def mismatched() -> None:
        widen(split())

    with pytest.raises(ConfigError) as refused:
        mismatched()
    assert str(refused.value) == (
        "step 'widen': input 'value' is annotated int but is given 2 outputs, which the step "
        "receives as one tuple; annotate it as a tuple, or pass one output"
    )
    assert Client().runs.list() == []


# -- a pipeline inside a pipeline -------------------------------------------------------


@step
def training_data_loader() -> list[int]:
    return [1, 2, 3]


@step
def evaluation_data_loader() -> list[int]:
    return [4, 5]


@step
def trainer(data: list[int]) -> int:
    return sum(data)


@step
def evaluator(model: int, data: list[int]) -> float:
    return model / len(data)


@pipeline
def data_loading_pipeline(mode: str) -> Any:
    return training_data_loader() if mode == "train" else evaluation_data_loader()


@pipeline
def training_pipeline() -> None:
    training_data = data_loading_pipeline(mode="train")
    model = trainer(data=training_data)
    test_data = data_loading_pipeline(mode="test")
    evaluator(model=model, data=test_data)


def test_a_pipeline_called_in_a_pipeline_adds_its_steps_there() -> None:
    first = training_pipeline()
    second = training_pipeline()

    expected = ["training_data_loader", "trainer", "evaluation_data_loader", "evaluator"]
    assert list(first.steps) == expected
    assert first.steps["evaluator"].outputs["output"].load() == 3.0
    assert [s.cached for s in second.steps.values()] == [True] * 4
    assert [run.pipeline_name for run in Client().runs.list()] == ["training_pipeline"] * 2
    with pytest.raises(NotFoundError):
        Client().get_pipeline("data_loading_pipeline")


@pipeline
def scored(data: Any, factor: int = 2) -> Any:
    return widen(trainer(data)), factor


@pipeline
def twice_scored() -> None:
    data = training_data_loader()
    first, _ = scored(data)
    second, _ = scored(data, factor=3)
    evaluator(first, [1, 2])
    evaluator(second, [1])


def test_a_pipeline_called_twice_gets_ids_as_zenml_numbers_them() -> None:
    run = twice_scored()
    assert list(run.steps) == [
        "training_data_loader",
        "trainer",
        "widen",
        "trainer_2",
        "widen_2",
        "evaluator",
        "evaluator_2",
    ]
    assert run.steps["evaluator_2"].outputs["output"].load() == 12.0
    assert list(run.record.config["steps"]) == list(run.steps)
    assert run.steps["evaluator_2"].record.parameters == {"data": [1]}
    assert twice_scored().steps["evaluator_2"].cached


LOOPS = """
@step
def load() -> int:
    return 1


@pipeline
def looping() -> None:
    load()
    looping()


@pipeline
def ping() -> None:
    pong()


@pipeline
def pong() -> None:
    load()
    ping()
"""


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("looping", "pipeline 'looping' calls itself (looping -> looping)"),
        ("ping", "pipeline 'ping' calls itself (ping -> pong -> ping)"),
    ],
)
def test_a_pipeline_calling_itself_is_one_line_before_anything_runs(
    target: str, said: str, write_module: Callable[..., Path], cli_error: Callable[..., str]
) -> None:
    line = cli_error("pipeline", "run", f"{write_module(LOOPS)}:{target}")
    assert line == f"Error: {said}; a pipeline may call steps and other pipelines, never itself"
    assert Client().runs.list() == []


def test_a_pipeline_called_with_arguments_it_does_not_take_is_refused() -> None:
    @pipeline
    def caller() -> None:
        data_loading_pipeline("train", mood="calm")

    with pytest.raises(ConfigError, match="pipeline 'data_loading_pipeline': got an unexpected"):
        caller()
