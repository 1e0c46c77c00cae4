"""Artifacts in the store: what each step output is, where it lives, who used it."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from runstack.errors import AlreadyExistsError, NotFoundError
from runstack.runs import ArtifactRecord, StepStatus
from runstack.store.sql_lookups import id_prefix
from runstack.store.sql_run_rows import from_json, merge_metadata, to_json

ARTIFACT_COLUMNS = (
    "id, name, version_name, uri, type_name, materializer, size, artifact_store_id, "
    "producer_step_run_id, created, files, damaged, tags, artifact_type, metadata"
)

if TYPE_CHECKING:
    from runstack.store.sql_database import Connection, Database

# A version that is a number as automatic versions are written (and fits a 64-bit column).
_NUMBER = re.compile(r"[1-9][0-9]{0,17}")


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

    def list(
        self,
        limit: int | None = None,
        *,
        name: str | None = None,
        pipeline: str | None = None,
        step: str | None = None,
    ) -> list[ArtifactRecord]:
        """Artifacts, newest first: of one name, or made by a pipeline's (or any) step of a name."""
        conditions, parameters = [], []
        if name is not None:
            conditions.append("name = ?")
            parameters.append(name)
        if pipeline is not None or step is not None:
            made = [("pipeline_name", pipeline), ("invocation", step)]
            chosen = [(column, value) for column, value in made if value is not None]
            conditions.append(
                "producer_step_run_id IN (SELECT id FROM step_runs WHERE "
                + " AND ".join(f"{column} = ?" for column, _ in chosen)
                + ")"
            )
            parameters.extend(value for _, value in chosen)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        sql = f"SELECT {ARTIFACT_COLUMNS} FROM artifacts{where} ORDER BY created DESC, name"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [artifact_from_row(row) for row in self.database.query(sql, parameters)]

    def get_version(self, name: str, version: str | None = None) -> ArtifactRecord:
        """A version of the artifacts named `name`; the newest when `version` is None."""
        if version is None:
            found = self.list(1, name=name)
        else:
            rows = self.database.query(
                f"SELECT {ARTIFACT_COLUMNS} FROM artifacts WHERE name = ? AND version_name = ?",
                (name, version),
            )
            found = [artifact_from_row(row) for row in rows]
        if found:
            return found[0]
        which = "any version" if version is None else f"version {version!r}"
        raise NotFoundError(
            f"no artifact named {name!r} has {which}; see 'runstack artifact list --name NAME'"
        )

    def create(self, artifact: ArtifactRecord) -> ArtifactRecord:
        """Record a value saved outside a step's outputs, with its version assigned."""
        with self.database.transaction() as connection:
            return insert_artifact(connection, artifact)


def insert_artifact(connection: Connection, artifact: ArtifactRecord) -> ArtifactRecord:
    """Add an artifact inside a transaction; returned with its version: the one it asks for
    (refused when its name has it already) or the next number of its name."""
    version = artifact.version
    if not version:
        number = connection.execute(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM artifacts WHERE name = ?", (artifact.name,)
        ).fetchone()[0]
        version = str(number)
    elif connection.execute(
        "SELECT 1 FROM artifacts WHERE name = ? AND version_name = ?", (artifact.name, version)
    ).fetchone():
        raise AlreadyExistsError(
            f"artifact {artifact.name!r} has a version {version!r} already; give another "
            "version, or none for the next number"
        )
    elif _NUMBER.fullmatch(version):
        number = int(version)
    else:  # a text version takes a number below 1, so automatic numbers count on unchanged
        number = connection.execute(
            "SELECT COALESCE(MIN(version), 1) - 1 FROM artifacts WHERE name = ? AND version < 1",
            (artifact.name,),
        ).fetchone()[0]
    stored = replace(artifact, version=version)
    connection.execute(
        f"INSERT INTO artifacts ({ARTIFACT_COLUMNS}, version) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            to_json(stored.tags),
            stored.artifact_type,
            to_json(stored.metadata),
            number,
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
        tags=tuple(from_json(row[12])),
        artifact_type=row[13],
        metadata=from_json(row[14]),
    )
