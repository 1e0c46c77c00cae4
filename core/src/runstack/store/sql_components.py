"""Stack components in the store: one row per registered orchestrator, artifact store..."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from runstack.component_types import ComponentType
from runstack.errors import AlreadyExistsError, InUseError, NotFoundError
from runstack.stacks import StackComponent
from runstack.store.sql_lookups import id_prefix, meant

COMPONENT_COLUMNS = (
    "id, type, name, flavor, config, secrets, owner, shared, created, updated, flavor_version"
)

if TYPE_CHECKING:
    from runstack.store.sql_database import Connection, Database


class ComponentTable:
    """The registered components; a stack's components are created with it by `StackTable`."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def get(self, component_type: ComponentType, name_or_id: str) -> StackComponent:
        prefix, pattern = id_prefix("id", name_or_id)
        rows = self.database.query(
            f"SELECT {COMPONENT_COLUMNS} FROM components WHERE type = ? AND "
            f"(name = ? OR id = ? OR {prefix})",
            (component_type.value, name_or_id, name_or_id, pattern),
        )
        found = meant(rows, name_or_id, lambda row: (row[0], row[2]))
        if found is not None:
            return component_from_row(found)
        names = [c.name for c in self.list(component_type)]
        if rows:
            raise NotFoundError(
                f"{name_or_id!r} matches several {component_type.plural} by id prefix; "
                "give more of the id or the name"
            )
        known = ", ".join(names) or "none"
        raise NotFoundError(
            f"no {component_type.noun} named {name_or_id!r}; registered: {known} "
            f"(see 'runstack {component_type.cli_name} list')"
        )

    def create(self, component: StackComponent) -> None:
        with self.database.transaction() as connection:
            insert_component(connection, component)

    def update(self, component: StackComponent) -> None:
        with self.database.transaction() as connection:
            clash = connection.execute(
                "SELECT 1 FROM components WHERE type = ? AND name = ? AND id != ?",
                (component.type.value, component.name, component.id),
            ).fetchone()
            if clash:
                raise AlreadyExistsError(
                    f"{component.type.with_article} named {component.name!r} already exists; "
                    "choose another name"
                )
            cursor = connection.execute(
                "UPDATE components SET name = ?, config = ?, secrets = ?, shared = ?, updated = ?, "
                "flavor_version = ? WHERE id = ?",
                (
                    component.name,
                    json.dumps(component.config),
                    json.dumps(component.secrets),
                    int(component.shared),
                    component.updated.isoformat(),
                    component.flavor_version,
                    component.id,
                ),
            )
            if cursor.rowcount == 0:
                raise NotFoundError(f"{component.type.noun} {component.name!r} no longer exists")

    def record_flavor_version(self, component_id: str, version: str) -> None:
        with self.database.transaction() as connection:
            connection.execute(
                "UPDATE components SET flavor_version = ? WHERE id = ?", (version, component_id)
            )

    def delete(self, component_id: str) -> None:
        with self.database.transaction() as connection:
            users = connection.execute(
                "SELECT s.name FROM stacks s JOIN stack_components sc ON sc.stack_id = s.id "
                "WHERE sc.component_id = ? ORDER BY s.name",
                (component_id,),
            ).fetchall()
            if users:
                name = connection.execute(
                    "SELECT type, name FROM components WHERE id = ?", (component_id,)
                ).fetchone()
                title = ComponentType(name[0]).noun if name else "component"
                raise InUseError(
                    f"the {title} {name[1] if name else component_id!r} is used by the "
                    f"stack(s) {', '.join(repr(u[0]) for u in users)}; remove it from them "
                    "or delete those stacks first"
                )
            connection.execute("DELETE FROM components WHERE id = ?", (component_id,))

    def list(self, component_type: ComponentType | None = None) -> list[StackComponent]:
        if component_type is None:
            rows = self.database.query(
                f"SELECT {COMPONENT_COLUMNS} FROM components ORDER BY type, name"
            )
        else:
            rows = self.database.query(
                f"SELECT {COMPONENT_COLUMNS} FROM components WHERE type = ? ORDER BY name",
                (component_type.value,),
            )
        return [component_from_row(row) for row in rows]


def insert_component(connection: Connection, component: StackComponent) -> None:
    """Add a component inside a transaction; its (type, name) must be free."""
    taken = connection.execute(
        "SELECT 1 FROM components WHERE type = ? AND name = ?",
        (component.type.value, component.name),
    ).fetchone()
    if taken:
        raise AlreadyExistsError(
            f"{component.type.with_article} named {component.name!r} already exists; "
            "choose another name or update the existing one"
        )
    connection.execute(
        f"INSERT INTO components ({COMPONENT_COLUMNS}) VALUES ({', '.join('?' * 11)})",
        (
            component.id,
            component.type.value,
            component.name,
            component.flavor,
            json.dumps(component.config),
            json.dumps(component.secrets),
            component.owner,
            int(component.shared),
            component.created.isoformat(),
            component.updated.isoformat(),
            component.flavor_version,
        ),
    )


def component_from_row(row: Sequence[Any]) -> StackComponent:
    return StackComponent(
        id=row[0],
        type=ComponentType(row[1]),
        name=row[2],
        flavor=row[3],
        config=json.loads(row[4]),
        secrets=json.loads(row[5]),
        owner=row[6],
        shared=bool(row[7]),
        created=datetime.fromisoformat(row[8]),
        updated=datetime.fromisoformat(row[9]),
        flavor_version=row[10],
    )
