"""The commands of the stack docs work on a fresh home."""

from __future__ import annotations

from typing import Annotated

from runstack import Client, pipeline, step
from runstack.testing import parse_table


def test_default_stack_is_described_as_in_the_docs(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("stack", "describe")
    assert result.exit_code == 0, result.output
    assert "Stack Configuration" in result.output
    rows = parse_table(result.output)
    assert [(row["COMPONENT_TYPE"], row["COMPONENT_NAME"], row["FLAVOR"]) for row in rows] == [
        ("ARTIFACT_STORE", "default", "local"),
        ("ORCHESTRATOR", "default", "local"),
    ]
    assert rows[1]["LOCATION"] == "this machine"
    assert "'default' stack (ACTIVE)" in result.output
    # The docs show it 'private'; it is shared so that every user of a store can run on it.
    assert "is owned by user default and is 'shared'." in result.output


def test_a_pipeline_runs_and_its_outputs_come_back_from_the_store() -> None:
    @step
    def numbers(count: int = 4) -> Annotated[list[int], "values"]:
        return list(range(count))

    @step
    def total(values: list[int]) -> int:
        return sum(values)

    @pipeline
    def summing(count: int = 4) -> None:
        total(numbers(count=count))

    run = summing(count=5)
    assert run.steps["total"].outputs["output"].load() == 10
    again = Client().runs.get(run.name)
    assert [s.status.value for s in again.steps.values()] == ["completed", "completed"]
    assert summing(count=5).steps["total"].cached
