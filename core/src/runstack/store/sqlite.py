"""The embedded store: components and stacks (and, through `RunTables`, runs) in SQLite."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from runstack.component_types import ComponentType
from runstack.defaults import default_stack
from runstack.errors import (
    AlreadyExistsError,
    ConfigError,
    InUseError,
    MissingSecretsError,
    NotFoundError,
)
from runstack.stacks import Stack, StackComponent
from runstack.store.sqlite_db import id_prefix, meant
from runstack.store.sqlite_runs import RunTables

_COMPONENT_COLUMNS = (
    "id, type, name, flavor, config, secrets, owner, shared, created, updated, flavor_version"
)


class SqliteStore(RunTables):
    """A `Store` in a local SQLite file, created with the default stack on first use."""

    def _seed(self, connection: sqlite3.Connection, owner: str) -> None:
        stack, components = default_stack(owner)
        for component in components:
            self._insert_component(connection, component)
        self._insert_stack(connection, stack)

    # -- components ----------------------------------------------------------

    def list_components(self, component_type: ComponentType | None = None) -> list[StackComponent]:
        if component_type is None:
            rows = self._query(f"SELECT {_COMPONENT_COLUMNS} FROM components ORDER BY type, name")
        else:
            rows = self._query(
                f"SELECT {_COMPONENT_COLUMNS} FROM components WHERE type = ? ORDER BY name",
                (component_type.value,),
            )
        return [_component_from_row(row) for row in rows]

    def get_component(self, component_type: ComponentType, name_or_id: str) -> StackComponent:
        prefix, pattern = id_prefix("id", name_or_id)
        rows = self._query(
            f"SELECT {_COMPONENT_COLUMNS} FROM components WHERE type = ? AND "
            f"(name = ? OR id = ? OR {prefix})",
            (component_type.value, name_or_id, name_or_id, pattern),
        )
        found = meant(rows, name_or_id, lambda row: (row[0], row[2]))
        if found is not None:
            return _component_from_row(found)
        names = [c.name for c in self.list_components(component_type)]
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

    def create_component(self, component: StackComponent) -> None:
        with self._transaction() as connection:
            self._insert_component(connection, component)

    def _insert_component(self, connection: sqlite3.Connection, component: StackComponent) -> None:
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
            f"INSERT INTO components ({_COMPONENT_COLUMNS}) VALUES ({', '.join('?' * 11)})",
            _component_to_row(component),
        )

    def update_component(self, component: StackComponent) -> None:
        with self._transaction() as connection:
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
        with self._transaction() as connection:
            connection.execute(
                "UPDATE components SET flavor_version = ? WHERE id = ?", (version, component_id)
            )

    def delete_component(self, component_id: str) -> None:
        with self._transaction() as connection:
            users = self._stacks_using(connection, component_id)
            if users:
                name = connection.execute(
                    "SELECT type, name FROM components WHERE id = ?", (component_id,)
                ).fetchone()
                title = ComponentType(name[0]).noun if name else "component"
                raise InUseError(
                    f"the {title} {name[1] if name else component_id!r} is used by the "
                    f"stack(s) {', '.join(repr(u) for u in users)}; remove it from them "
                    "or delete those stacks first"
                )
            connection.execute("DELETE FROM components WHERE id = ?", (component_id,))

    def stacks_using(self, component_id: str) -> list[str]:
        with self._lock:
            return self._stacks_using(self._connection, component_id)

    @staticmethod
    def _stacks_using(connection: sqlite3.Connection, component_id: str) -> list[str]:
        rows = connection.execute(
            "SELECT s.name FROM stacks s JOIN stack_components sc ON sc.stack_id = s.id "
            "WHERE sc.component_id = ? ORDER BY s.name",
            (component_id,),
        ).fetchall()
        return [row[0] for row in rows]

    # -- stacks --------------------------------------------------------------

    def list_stacks(self) -> list[Stack]:
        return self._load_stacks("", ())

    def get_stack(self, name_or_id: str) -> Stack:
        prefix, pattern = id_prefix("id", name_or_id)
        stacks = self._load_stacks(
            f"WHERE name = ? OR id = ? OR {prefix}", (name_or_id, name_or_id, pattern)
        )
        found = meant(stacks, name_or_id, lambda stack: (stack.id, stack.name))
        if found is not None:
            return found
        if stacks:
            raise NotFoundError(
                f"{name_or_id!r} matches several stacks by id prefix; "
                "give more of the id or the name"
            )
        known = ", ".join(row[0] for row in self._query("SELECT name FROM stacks ORDER BY name"))
        raise NotFoundError(
            f"no stack named {name_or_id!r}; registered: {known or 'none'} "
            "(see 'runstack stack list')"
        )

    def _load_stacks(self, where: str, parameters: Sequence[Any]) -> list[Stack]:
        stack_rows = self._query(
            f"SELECT id, name, owner, shared, created, updated FROM stacks {where} ORDER BY name",
            parameters,
        )
        if not stack_rows:
            return []
        ids = [row[0] for row in stack_rows]
        placeholders = ", ".join("?" * len(ids))
        component_rows = self._query(
            f"SELECT sc.stack_id, {', '.join('c.' + c for c in _COMPONENT_COLUMNS.split(', '))} "
            "FROM stack_components sc JOIN components c ON c.id = sc.component_id "
            f"WHERE sc.stack_id IN ({placeholders})",
            ids,
        )
        members: dict[str, dict[ComponentType, StackComponent]] = {i: {} for i in ids}
        for row in component_rows:
            component = _component_from_row(row[1:])
            members[row[0]][component.type] = component
        return [
            Stack(
                id=row[0],
                name=row[1],
                owner=row[2],
                shared=bool(row[3]),
                created=datetime.fromisoformat(row[4]),
                updated=datetime.fromisoformat(row[5]),
                components=members[row[0]],
            )
            for row in stack_rows
        ]

    def create_stack(
        self,
        stack: Stack,
        new_components: Sequence[StackComponent] = (),
        *,
        lacking: Mapping[ComponentType, Sequence[str]] | None = None,
    ) -> Stack:
        """Add a stack, creating `new_components` first, in one transaction; the stack as stored.

        A new component whose type and name are taken is the stored one when flavor,
        config and the secrets it carries match, and refused when they differ. One
        to be created must not lack secrets (`lacking`: keys by type). All of it is
        decided inside the transaction, so concurrent imports of one file agree.
        """
        with self._transaction() as connection:
            members = dict(stack.components)
            missing: list[tuple[ComponentType, str]] = []
            for component in new_components:
                existing = self._same_component(connection, component)
                if existing is None:
                    missing += [
                        (component.type, k) for k in (lacking or {}).get(component.type, ())
                    ]
                    self._insert_component(connection, component)
                else:
                    members[component.type] = existing
            if missing:
                raise MissingSecretsError(missing)
            stored = replace(stack, components=members)
            self._insert_stack(connection, stored)
            return stored

    @staticmethod
    def _same_component(
        connection: sqlite3.Connection, component: StackComponent
    ) -> StackComponent | None:
        """The stored component of this type and name if it matches; None if there is none."""
        row = connection.execute(
            f"SELECT {_COMPONENT_COLUMNS} FROM components WHERE type = ? AND name = ?",
            (component.type.value, component.name),
        ).fetchone()
        if row is None:
            return None
        existing = _component_from_row(row)
        secrets_match = all(existing.secrets.get(k) == v for k, v in component.secrets.items())
        if (existing.flavor, existing.config) != (component.flavor, component.config) or not (
            secrets_match
        ):
            raise ConfigError(
                f"{component.type.with_article} named {component.name!r} already exists with "
                "another flavor, config or secrets; rename one of them, then import again"
            )
        return existing

    def _insert_stack(self, connection: sqlite3.Connection, stack: Stack) -> None:
        self._check_stack_name_free(connection, stack)
        connection.execute(
            "INSERT INTO stacks (id, name, owner, shared, created, updated) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                stack.id,
                stack.name,
                stack.owner,
                int(stack.shared),
                stack.created.isoformat(),
                stack.updated.isoformat(),
            ),
        )
        self._insert_members(connection, stack)

    @staticmethod
    def _check_stack_name_free(connection: sqlite3.Connection, stack: Stack) -> None:
        clash = connection.execute(
            "SELECT 1 FROM stacks WHERE name = ? AND id != ?", (stack.name, stack.id)
        ).fetchone()
        if clash:
            raise AlreadyExistsError(
                f"a stack named {stack.name!r} already exists; choose another name"
            )

    @staticmethod
    def _insert_members(connection: sqlite3.Connection, stack: Stack) -> None:
        connection.executemany(
            "INSERT INTO stack_components (stack_id, type, component_id) VALUES (?, ?, ?)",
            [(stack.id, t.value, c.id) for t, c in stack.components.items()],
        )

    def update_stack(self, stack: Stack) -> None:
        with self._transaction() as connection:
            self._check_stack_name_free(connection, stack)
            cursor = connection.execute(
                "UPDATE stacks SET name = ?, shared = ?, updated = ? WHERE id = ?",
                (stack.name, int(stack.shared), stack.updated.isoformat(), stack.id),
            )
            if cursor.rowcount == 0:
                raise NotFoundError(f"stack {stack.name!r} no longer exists")
            connection.execute("DELETE FROM stack_components WHERE stack_id = ?", (stack.id,))
            self._insert_members(connection, stack)

    def delete_stack(self, stack_id: str) -> None:
        with self._transaction() as connection:
            connection.execute("DELETE FROM stacks WHERE id = ?", (stack_id,))


def _component_to_row(component: StackComponent) -> tuple[Any, ...]:
    return (
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
    )


def _component_from_row(row: Sequence[Any]) -> StackComponent:
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
