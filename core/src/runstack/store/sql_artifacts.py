"""Artifacts in the store: what each step output is, where it lives, who used it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from runstack.errors import NotFoundError
from runstack.runs import ArtifactRecord, StepStatus
from runstack.store.sql_lookups import id_prefix
from runstack.store.sql_run_rows import merge_metadata

ARTIFACT_COLUMNS = (
    "id, name, version, uri, type_name, materializer, size, artifact_store_id, "
    "producer_step_run_id, created, files, damaged, metadata"
)

if TYPE_CHECKING:
    from runstack.store.sql_database import Connection, Database


class ArtifactTable:
    """The artifacts; step runs add theirs with `insert_artifact`, a deleted run drops its own."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def get(self, artifact_id: str) -> ArtifactRecord:
        prefix, pattern = id_prefix("id", artifact_id)
        rows = self.database.query(
            f"SELECT {ARTIFACT_COLUMNS} FROM artifacts WHERE id = ? OR {prefix}",
            (artifact_id, pattern),
        )
        if len(rows) == 1:
            return artifact_from_row(rows[0])
        if rows:
            raise NotFoundError(f"{artifact_id!r} matches several artifacts; give more of the id")
        raise NotFoundError(f"no artifact with id {artifact_id!r}; see 'runstack artifact list'")

    def get_many(self, artifact_ids: Sequence[str]) -> dict[str, ArtifactRecord]:
        """Artifacts by exact id, in one query."""
        if not artifact_ids:
            return {}
        rows = self.database.query(
            f"SELECT {ARTIFACT_COLUMNS} FROM artifacts "
            f"WHERE id IN ({', '.join('?' * len(artifact_ids))})",
            list(artifact_ids),
        )
        return {row[0]: artifact_from_row(row) for row in rows}

    def mark_damaged(self, artifact_id: str, reason: str) -> None:
        with self.database.transaction() as connection:
            connection.execute(
                "UPDATE artifacts SET damaged = ? WHERE id = ?", (reason, artifact_id)
            )

    def add_metadata(self, artifact_id: str, values: dict[str, Any]) -> None:
        with self.database.transaction() as connection:
            merge_metadata(connection, "artifacts", artifact_id, values)

    def users(self, artifact_id: str) -> list[tuple[str, str, str, str]]:
        """(direction, run name, step invocation, name) of every step run that made or read it.

        A cached step run's link to the output it reused has the direction `cached`.
        """
        rows = self.database.query(
            "SELECT CASE WHEN l.direction = 'output' AND s.status = ? THEN 'cached' "
            "ELSE l.direction END, r.name, s.invocation, l.name FROM step_run_artifacts l "
            "JOIN step_runs s ON s.id = l.step_run_id JOIN runs r ON r.id = s.run_id "
            "WHERE l.artifact_id = ? ORDER BY r.started, s.position",
            (StepStatus.CACHED.value, artifact_id),
        )
        return [(row[0], row[1], row[2], row[3]) for row in rows]

    def list(self, limit: int | None = None) -> list[ArtifactRecord]:
        sql = f"SELECT {ARTIFACT_COLUMNS} FROM artifacts ORDER BY created DESC, name"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [artifact_from_row(row) for row in self.database.query(sql)]


def insert_artifact(connection: Connection, artifact: ArtifactRecord) -> ArtifactRecord:
    """Add an artifact inside a transaction; returned with the next version of its name."""
    version = connection.execute(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM artifacts WHERE name = ?", (artifact.name,)
    ).fetchone()[0]
    stored = replace(artifact, version=version)
    connection.execute(
        f"INSERT INTO artifacts ({ARTIFACT_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            stored.id,
            stored.name,
            stored.version,
            stored.uri,
            stored.type_name,
            stored.materializer,
            stored.size,
            stored.artifact_store_id,
            stored.producer_step_run_id,
            stored.created.isoformat(),
            None if stored.files is None else json.dumps(stored.files),
            stored.damaged,
            json.dumps(stored.metadata),
        ),
    )
    return stored


def artifact_from_row(row: Sequence[Any]) -> ArtifactRecord:
    return ArtifactRecord(
        id=row[0],
        name=row[1],
        version=row[2],
        uri=row[3],
        type_name=row[4],
        materializer=row[5],
        size=row[6],
        artifact_store_id=row[7],
        producer_step_run_id=row[8],
        created=datetime.fromisoformat(row[9]),
        files=None if row[10] is None else json.loads(row[10]),
        damaged=row[11],
        metadata=json.loads(row[12]),
    )
