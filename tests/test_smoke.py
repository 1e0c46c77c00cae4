"""The commands of the stack docs work on a fresh home."""

from __future__ import annotations

from runstack.testing import parse_table


def test_default_stack_is_described_as_in_the_docs(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("stack", "describe")
    assert result.exit_code == 0, result.output
    assert "Stack Configuration" in result.output
    assert parse_table(result.output) == [
        {"COMPONENT_TYPE": "ARTIFACT_STORE", "COMPONENT_NAME": "default"},
        {"COMPONENT_TYPE": "ORCHESTRATOR", "COMPONENT_NAME": "default"},
    ]
    assert "'default' stack (ACTIVE)" in result.output
    assert "is owned by user default and is 'private'." in result.output
