"""Models and their versions in the store: made by runs, looked up by name, number or stage,
promoted to a stage, and the step runs (with their outputs) that ran under each version."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

from runstack.errors import AlreadyExistsError, ConfigError, NotFoundError
from runstack.models import (
    LOOKUP_STAGES,
    STAGE_NAMES,
    ModelLink,
    ModelRecord,
    ModelSpec,
    ModelStages,
    ModelVersionRecord,
)
from runstack.names import check_name
from runstack.stacks import new_id, now
from runstack.store.sql_lookups import id_prefix, meant

if TYPE_CHECKING:
    from runstack.store.sql_database import Connection, Database

MODEL_COLUMNS = (
    "m.id, m.name, m.created, m.description, m.tags, m.details, "
    "(SELECT COUNT(*) FROM model_versions v WHERE v.model_id = m.id), "
    "(SELECT v.name FROM model_versions v WHERE v.model_id = m.id ORDER BY v.number DESC LIMIT 1)"
)
VERSION_COLUMNS = (
    "v.id, v.model_id, m.name, v.number, v.name, v.stage, v.created, v.description, v.tags"
)
VERSION_FROM = "FROM model_versions v JOIN models m ON m.id = v.model_id"

MAX_NUMBER = 2**62

# Runs one read, inside a write transaction or outside one, and gives its rows.
Read = Callable[[str, Sequence[Any]], Sequence[Any]]


class ModelTable:
    """The models, which every user of the store sees and runs under."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def prepare_version(self, spec: ModelSpec) -> ModelVersionRecord:
        """The version a run runs under, made (with its model, the first time) when the spec
        asks for a new one or names one not made yet; a stage or number must exist."""
        check_name(spec.name, "model")
        if isinstance(spec.version, str) and spec.version not in STAGE_NAMES:
            check_name(spec.version, "model version")
        with self.database.transaction() as connection:
            model_id = _model_id(connection, spec)
            read = _reader(connection)
            if spec.version is not None:
                found = _find_version(read, model_id, spec.version)
                if found is not None or not _names_new_version(spec.version):
                    return found or _missing(spec.name, spec.version)
            number = connection.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM model_versions WHERE model_id = ?",
                (model_id,),
            ).fetchone()[0]
            name = str(number) if spec.version is None else str(spec.version)
            connection.execute(
                "INSERT INTO model_versions (id, model_id, number, name, stage, description, "
                "tags, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new_id(),
                    model_id,
                    number,
                    name,
                    ModelStages.NONE.value,
                    spec.description or "",
                    json.dumps(spec.tags or []),
                    now().isoformat(),
                ),
            )
            made = _find_version(read, model_id, name)
            assert made is not None
            return made

    def get(self, name_or_id: str) -> ModelRecord:
        prefix, pattern = id_prefix("m.id", name_or_id)
        rows = self.database.query(
            f"SELECT {MODEL_COLUMNS} FROM models m WHERE m.name = ? OR m.id = ? OR {prefix}",
            (name_or_id, name_or_id, pattern),
        )
        found = meant(rows, name_or_id, lambda row: (row[0], row[1]))
        if found is not None:
            return _model_from_row(found)
        raise NotFoundError(f"no model named {name_or_id!r}; see 'runstack model list'")

    def versions(self, model_name_or_id: str) -> list[ModelVersionRecord]:
        """A model's versions, by number."""
        model = self.get(model_name_or_id)
        rows = self.database.query(
            f"SELECT {VERSION_COLUMNS} {VERSION_FROM} WHERE v.model_id = ? ORDER BY v.number",
            (model.id,),
        )
        return [_version_from_row(row) for row in rows]

    def get_version(self, model_name_or_id: str, version: str | None) -> ModelVersionRecord:
        """A version by id, name, number or stage (`latest` or None: the newest)."""
        model = self.get(model_name_or_id)
        wanted = version or ModelStages.LATEST
        return _find_version(self.database.query, model.id, wanted) or _missing(model.name, wanted)

    def set_stage(self, version_id: str, stage: str, force: bool) -> ModelVersionRecord:
        """Put a version in `stage`; a version of the same model already there is archived
        when `force`, else the change is refused."""
        if stage not in STAGE_NAMES or stage == ModelStages.LATEST:
            stages = ", ".join(s for s in ModelStages if s != ModelStages.LATEST)
            raise ConfigError(f"{stage!r} is not a stage a model version can be in; use {stages}")
        with self.database.transaction() as connection:
            read = _reader(connection)
            version = _one(read, "v.id = ?", (version_id,))
            if version is None:
                raise NotFoundError(f"no model version with id {version_id!r}")
            holder = None
            if stage in (ModelStages.STAGING, ModelStages.PRODUCTION):
                holder = _one(
                    read,
                    "v.model_id = ? AND v.stage = ? AND v.id <> ?",
                    (version.model_id, stage, version.id),
                )
            if holder is not None:
                if not force:
                    raise AlreadyExistsError(
                        f"version {holder.name!r} of model {version.model_name!r} is in stage "
                        f"{stage!r} already; pass force=True to archive it and put version "
                        f"{version.name!r} there"
                    )
                connection.execute(
                    "UPDATE model_versions SET stage = ? WHERE id = ?",
                    (ModelStages.ARCHIVED.value, holder.id),
                )
            connection.execute(
                "UPDATE model_versions SET stage = ? WHERE id = ?", (stage, version.id)
            )
            changed = _one(read, "v.id = ?", (version.id,))
        assert changed is not None
        return changed

    def links(self, version_id: str) -> list[ModelLink]:
        """The step runs under a version with each output they made or reused, by run age."""
        rows = self.database.query(
            "SELECT r.id, r.name, s.invocation, l.name, l.artifact_id FROM step_runs s "
            "JOIN runs r ON r.id = s.run_id LEFT JOIN step_run_artifacts l "
            "ON l.step_run_id = s.id AND l.direction = 'output' "
            "WHERE s.model_version_id = ? ORDER BY r.started, s.position, l.name",
            (version_id,),
        )
        return [ModelLink(row[0], row[1], row[2], row[3], row[4]) for row in rows]

    def list(self) -> list[ModelRecord]:
        rows = self.database.query(f"SELECT {MODEL_COLUMNS} FROM models m ORDER BY m.name")
        return [_model_from_row(row) for row in rows]


def _reader(connection: Connection) -> Read:
    return lambda sql, parameters: connection.execute(sql, parameters).fetchall()


def _find_version(read: Read, model_id: str, version: str | int) -> ModelVersionRecord | None:
    """A model's version by number (an int, or digits that name no version), stage, name or id."""
    if isinstance(version, int):
        if not 0 < version < MAX_NUMBER:  # the databases' integers end there
            return None
        return _one(read, "v.model_id = ? AND v.number = ?", (model_id, version))
    if version == ModelStages.LATEST:
        return _one(read, "v.model_id = ? ORDER BY v.number DESC", (model_id,))
    if version in LOOKUP_STAGES:
        return _one(
            read, "v.model_id = ? AND v.stage = ? ORDER BY v.number DESC", (model_id, version)
        )
    named = _one(read, "v.model_id = ? AND (v.name = ? OR v.id = ?)", (model_id, version, version))
    if named is None and _is_number(version):
        return _find_version(read, model_id, int(version))
    return named


def _one(read: Read, where: str, parameters: Sequence[Any]) -> ModelVersionRecord | None:
    rows = read(f"SELECT {VERSION_COLUMNS} {VERSION_FROM} WHERE {where} LIMIT 1", parameters)
    return _version_from_row(rows[0]) if rows else None


def _missing(model: str, version: str | int) -> NoReturn:
    if version in STAGE_NAMES:
        raise NotFoundError(
            f"model {model!r} has no version in stage {str(version)!r}; promote one with "
            f"Client().get_model_version({model!r}, VERSION).set_stage({str(version)!r})"
        )
    raise NotFoundError(
        f"model {model!r} has no version {str(version)!r}; see 'runstack model describe {model}'"
    )


def _names_new_version(version: str | int) -> bool:
    """Whether a missing version is made when named: a name is, a number or stage is not."""
    return isinstance(version, str) and version not in STAGE_NAMES and not _is_number(version)


def _is_number(version: str) -> bool:
    """Digits a user typed for a version number."""
    return version.isascii() and version.isdigit()


def _model_id(connection: Connection, spec: ModelSpec) -> str:
    """The id of the model the spec names, registered with its card the first time."""
    row = connection.execute("SELECT id FROM models WHERE name = ?", (spec.name,)).fetchone()
    if row is not None:
        return str(row[0])
    model_id = new_id()
    connection.execute(
        "INSERT INTO models (id, name, description, tags, details, created) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            model_id,
            spec.name,
            spec.description or "",
            json.dumps(spec.tags or []),
            json.dumps(spec.details()),
            now().isoformat(),
        ),
    )
    return model_id


def _model_from_row(row: Sequence[Any]) -> ModelRecord:
    return ModelRecord(
        id=row[0],
        name=row[1],
        created=datetime.fromisoformat(row[2]),
        description=row[3],
        tags=json.loads(row[4]),
        details=json.loads(row[5]),
        versions=row[6],
        latest_version=row[7],
    )


def _version_from_row(row: Sequence[Any]) -> ModelVersionRecord:
    return ModelVersionRecord(
        id=row[0],
        model_id=row[1],
        model_name=row[2],
        number=row[3],
        name=row[4],
        stage=ModelStages(row[5]),
        created=datetime.fromisoformat(row[6]),
        description=row[7],
        tags=json.loads(row[8]),
    )
