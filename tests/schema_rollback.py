"""How a test makes a store older, to check that migrations keep what it holds: the SQL that
undoes each migration since the store had owners, so a new migration is undone in one place."""

from __future__ import annotations

from runstack.store.sql_schema import SCHEMA_VERSION

# Migration N takes a store to schema N; its entry takes it back to N - 1. 13 only made
# indexes that its migration may make again.
UNDO: dict[int, tuple[str, ...]] = {
    17: (
        "DROP INDEX step_runs_by_model_version",
        "ALTER TABLE step_runs DROP COLUMN model_version_id",
        "DROP TABLE model_versions",
        "DROP TABLE models",
    ),
    16: ("ALTER TABLE artifacts DROP COLUMN metadata", "ALTER TABLE runs DROP COLUMN metadata"),
    15: (
        "DROP INDEX artifacts_by_producer",
        "DROP INDEX artifacts_by_version_name",
        "ALTER TABLE artifacts DROP COLUMN artifact_type",
        "ALTER TABLE artifacts DROP COLUMN tags",
        "ALTER TABLE artifacts DROP COLUMN version_name",
    ),
    14: ("ALTER TABLE step_runs DROP COLUMN metadata",),
    13: (),
    12: ("DROP TABLE tokens", "DROP TABLE users"),
    11: ("ALTER TABLE stacks DROP COLUMN labels", "ALTER TABLE components DROP COLUMN labels"),
    10: ("UPDATE stacks SET shared = 0", "UPDATE components SET shared = 0"),
}


def back_to(schema: int) -> list[str]:
    """The statements that take a store of the newest schema back to `schema`, newest first."""
    assert max(UNDO) == SCHEMA_VERSION, "a new migration needs its undo here"
    undone = [
        statement
        for version in sorted(UNDO, reverse=True)
        if version > schema
        for statement in UNDO[version]
    ]
    return [*undone, f"PRAGMA user_version = {schema}"]
