"""The graph as ZenML users write it: when a `Tuple[...]` annotation means several outputs,
and a step's several outputs passed whole as one input (issue 14)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Tuple  # noqa: UP035 (ZenML's docs write typing.Tuple)

import pytest

from runstack import Client, pipeline, step
from runstack.errors import ConfigError
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
