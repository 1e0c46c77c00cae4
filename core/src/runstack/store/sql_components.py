"""Stack components in the store: one row per registered orchestrator, artifact store..."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from runstack.component_types import ComponentType
from runstack.errors import AlreadyExistsError, InUseError, NotFoundError
from runstack.stacks import StackComponent, require_owner
from runstack.store.ownership import VISIBLE, visible_row, visible_to
from runstack.store.sql_lookups import id_prefix, meant

COMPONENT_COLUMNS = (
    "id, type, name, flavor, config, secrets, owner, shared, created, updated, flavor_version, "
    "labels"
)

if TYPE_CHECKING:
    from runstack.store.sql_database import Connection, Database


class ComponentTable:
    """The components `user` sees (their own and the shared ones); only their own change.

    A stack's components are created with it by `StackTable`.
    """

    def __init__(self, database: Database, user: str) -> None:
        self.database = database
        self.user = user

    def get(self, component_type: ComponentType, name_or_id: str) -> StackComponent:
        prefix, pattern = id_prefix("id", name_or_id)
        rows = self.database.query(
            f"SELECT {COMPONENT_COLUMNS} FROM components WHERE {VISIBLE} AND type = ? AND "
            f"(name = ? OR id = ? OR {prefix})",
            (self.user, component_type.value, name_or_id, name_or_id, pattern),
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
        """Add a component owned by the acting user, whoever the record names."""
        with self.database.transaction() as connection:
            insert_component(connection, replace(component, owner=self.user))

    def update(self, component: StackComponent) -> None:
        with self.database.transaction() as connection:
            stored = self._own(connection, component.id)
            clash = connection.execute(
                "SELECT 1 FROM components WHERE type = ? AND name = ? AND id != ?",
                (component.type.value, component.name, component.id),
            ).fetchone()
            if clash:
                raise AlreadyExistsError(
                    f"{component.type.with_article} named {component.name!r} already exists; "
                    "choose another name"
                )
            connection.execute(
                "UPDATE components SET name = ?, config = ?, secrets = ?, shared = ?, updated = ?, "
                "flavor_version = ?, labels = ? WHERE id = ?",
                (
                    component.name,
                    json.dumps(component.config),
                    json.dumps(component.secrets),
                    # Shared for good: other users' stacks may hold it by now.
                    int(component.shared or stored.shared),
                    component.updated.isoformat(),
                    component.flavor_version,
                    json.dumps(component.labels),
                    component.id,
                ),
            )

    def record_flavor_version(self, component_id: str, version: str) -> None:
        with self.database.transaction() as connection:
            connection.execute(
                "UPDATE components SET flavor_version = ? WHERE id = ?", (version, component_id)
            )

    def delete(self, component_id: str) -> None:
        with self.database.transaction() as connection:
            stored = self._own(connection, component_id)
            users = connection.execute(
                "SELECT s.name, s.owner, s.shared FROM stacks s "
                "JOIN stack_components sc ON sc.stack_id = s.id "
                "WHERE sc.component_id = ? ORDER BY s.name",
                (component_id,),
            ).fetchall()
            if users:
                raise InUseError(
                    f"the {stored.type.noun} {stored.name!r} is used by the stack(s) "
                    f"{_stack_names(users, self.user)}; remove it from them or delete those "
                    "stacks first"
                )
            connection.execute("DELETE FROM components WHERE id = ?", (component_id,))

    def list(self, component_type: ComponentType | None = None) -> list[StackComponent]:
        if component_type is None:
            rows = self.database.query(
                f"SELECT {COMPONENT_COLUMNS} FROM components WHERE {VISIBLE} ORDER BY type, name",
                (self.user,),
            )
        else:
            rows = self.database.query(
                f"SELECT {COMPONENT_COLUMNS} FROM components WHERE {VISIBLE} AND type = ? "
                "ORDER BY name",
                (self.user, component_type.value),
            )
        return [component_from_row(row) for row in rows]

    def _own(self, connection: Connection, component_id: str) -> StackComponent:
        """The stored component the acting user is about to change: theirs, or an error."""
        row = visible_row(connection, "components", COMPONENT_COLUMNS, component_id, self.user)
        stored = component_from_row(row)
        require_owner(stored.type.noun, stored.name, stored.owner, self.user)
        return stored


def _stack_names(stacks: Sequence[Sequence[Any]], user: str) -> str:
    """The stacks (name, owner, shared) `user` sees by name; the others only counted."""
    names = [repr(name) for name, owner, shared in stacks if visible_to(user, owner, shared)]
    hidden = len(stacks) - len(names)
    return ", ".join([*names, *([f"{hidden} of other users"] if hidden else [])])


def insert_component(connection: Connection, component: StackComponent) -> None:
    """Add a component inside a transaction; its (type, name) must be free, even of a component
    its owner does not see (the error then says no more than that the name is taken)."""
    taken = connection.execute(
        "SELECT owner, shared FROM components WHERE type = ? AND name = ?",
        (component.type.value, component.name),
    ).fetchone()
    if taken:
        seen = visible_to(component.owner, taken[0], bool(taken[1]))
        raise AlreadyExistsError(
            f"{component.type.with_article} named {component.name!r} already exists; "
            "choose another name" + (" or update the existing one" if seen else "")
        )
    connection.execute(
        f"INSERT INTO components ({COMPONENT_COLUMNS}) VALUES ({', '.join('?' * 12)})",
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
            json.dumps(component.labels),
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
        labels=json.loads(row[11]),
    )
