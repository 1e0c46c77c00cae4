"""Metadata in the store: a JSON object on each run, step run and artifact, merged key by key."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from runstack.errors import NotFoundError

if TYPE_CHECKING:
    from runstack.store.sql_database import Connection

Table = Literal["runs", "step_runs", "artifacts"]

_NAMES = {"runs": "run", "step_runs": "step run", "artifacts": "artifact"}


def merge_metadata(
    connection: Connection, table: Table, record_id: str, values: Mapping[str, Any]
) -> None:
    """Add `values` to the metadata of the record `record_id` of `table`, later values
    replacing earlier ones of the same key, inside the caller's write transaction (writers
    take turns, so two merges never lose each other's keys)."""
    row = connection.execute(f"SELECT metadata FROM {table} WHERE id = ?", (record_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no {_NAMES[table]} with id {record_id!r}")
    merged = {**json.loads(row[0]), **values}
    connection.execute(
        f"UPDATE {table} SET metadata = ? WHERE id = ?", (json.dumps(merged), record_id)
    )
