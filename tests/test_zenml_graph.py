"""The graph as ZenML users write it: when a `Tuple[...]` annotation means several outputs
(issue 14)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Tuple  # noqa: UP035 (ZenML's docs write typing.Tuple)

from runstack import pipeline, step

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
