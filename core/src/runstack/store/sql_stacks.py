"""Stacks in the store: each a name and one component per type, the default one seeded."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from runstack.component_types import ComponentType
from runstack.defaults import default_stack, keep_default
from runstack.errors import AlreadyExistsError, ConfigError, MissingSecretsError, NotFoundError
from runstack.stacks import Stack, StackComponent, require_owner
from runstack.store.ownership import VISIBLE, visible_row, visible_to
from runstack.store.sql_components import (
    COMPONENT_COLUMNS,
    component_from_row,
    insert_component,
)
from runstack.store.sql_lookups import id_prefix, meant

if TYPE_CHECKING:
    from runstack.store.sql_database import Connection, Database


def seed_default_stack(connection: Connection, owner: str) -> None:
    """Give a brand-new store the default stack and its components."""
    stack, components = default_stack(owner)
    for component in components:
        insert_component(connection, component)
    _insert_stack(connection, stack)


class StackTable:
    """The stacks `user` sees (their own and the shared ones), with the components each is
    made of; only their own change."""

    def __init__(self, database: Database, user: str) -> None:
        self.database = database
        self.user = user

    def get(self, name_or_id: str) -> Stack:
        prefix, pattern = id_prefix("id", name_or_id)
        stacks = self._load(
            f"AND (name = ? OR id = ? OR {prefix})", (name_or_id, name_or_id, pattern)
        )
        found = meant(stacks, name_or_id, lambda stack: (stack.id, stack.name))
        if found is not None:
            return found
        if stacks:
            raise NotFoundError(
                f"{name_or_id!r} matches several stacks by id prefix; "
                "give more of the id or the name"
            )
        known = ", ".join(
            row[0]
            for row in self.database.query(
                f"SELECT name FROM stacks WHERE {VISIBLE} ORDER BY name", (self.user,)
            )
        )
        raise NotFoundError(
            f"no stack named {name_or_id!r}; registered: {known or 'none'} "
            "(see 'runstack stack list')"
        )

    def _load(self, condition: str, parameters: Sequence[Any]) -> list[Stack]:
        """The visible stacks that meet `AND ...` `condition`, ordered by name."""
        stack_rows = self.database.query(
            "SELECT id, name, owner, shared, created, updated, labels FROM stacks "
            f"WHERE {VISIBLE} {condition} ORDER BY name",
            (self.user, *parameters),
        )
        if not stack_rows:
            return []
        ids = [row[0] for row in stack_rows]
        placeholders = ", ".join("?" * len(ids))
        component_rows = self.database.query(
            f"SELECT sc.stack_id, {', '.join('c.' + c for c in COMPONENT_COLUMNS.split(', '))} "
            "FROM stack_components sc JOIN components c ON c.id = sc.component_id "
            f"WHERE sc.stack_id IN ({placeholders})",
            ids,
        )
        members: dict[str, dict[ComponentType, StackComponent]] = {i: {} for i in ids}
        for row in component_rows:
            component = component_from_row(row[1:])
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
                labels=json.loads(row[6]),
            )
            for row in stack_rows
        ]

    def create(
        self,
        stack: Stack,
        new_components: Sequence[StackComponent] = (),
        *,
        lacking: Mapping[ComponentType, Sequence[str]] | None = None,
    ) -> Stack:
        """Add a stack, creating `new_components` first, in one transaction; the stack as stored.

        The stack and its new components are owned by the acting user. A new component
        whose type and name are taken is the stored one when flavor, config and the
        secrets it carries match and the user sees it, and refused otherwise. One to
        be created must not lack secrets (`lacking`: keys by type). All of it is
        decided inside the transaction, so concurrent imports of one file agree.
        """
        with self.database.transaction() as connection:
            members = dict(stack.components)
            missing: list[tuple[ComponentType, str]] = []
            for component in (replace(c, owner=self.user) for c in new_components):
                existing = _same_component(connection, component)
                if existing is None:
                    missing += [
                        (component.type, k) for k in (lacking or {}).get(component.type, ())
                    ]
                    insert_component(connection, component)
                    members[component.type] = component
                else:
                    members[component.type] = existing
            if missing:
                raise MissingSecretsError(missing)
            stored = _check_members(connection, replace(stack, owner=self.user, components=members))
            _insert_stack(connection, stored)
            return stored

    def update(self, stack: Stack) -> None:
        """Change a stack of the acting user's; a shared one stays shared (see `_check_members`)."""
        with self.database.transaction() as connection:
            name, shared = self._own(connection, stack.id)
            if stack.name != name:
                keep_default(name, "rename")
            stored = replace(stack, owner=self.user, shared=stack.shared or shared)
            _check_name_free(connection, stored)
            _check_members(connection, stored)
            connection.execute(
                "UPDATE stacks SET name = ?, shared = ?, updated = ?, labels = ? WHERE id = ?",
                (
                    stored.name,
                    int(stored.shared),
                    stored.updated.isoformat(),
                    json.dumps(stored.labels),
                    stored.id,
                ),
            )
            connection.execute("DELETE FROM stack_components WHERE stack_id = ?", (stored.id,))
            _insert_members(connection, stored)

    def delete(self, stack_id: str) -> None:
        with self.database.transaction() as connection:
            name, _ = self._own(connection, stack_id)
            keep_default(name, "delete")
            connection.execute("DELETE FROM stacks WHERE id = ?", (stack_id,))

    def list(self) -> list[Stack]:
        return self._load("", ())

    def _own(self, connection: Connection, stack_id: str) -> tuple[str, bool]:
        """The stored name and shared flag of a stack the acting user is about to change:
        theirs, or an error."""
        row = visible_row(connection, "stacks", "name, owner, shared", stack_id, self.user)
        require_owner("stack", row[0], row[1], self.user)
        return row[0], bool(row[2])


def _same_component(connection: Connection, component: StackComponent) -> StackComponent | None:
    """The stored component of this type and name if it matches and its new owner sees it;
    None if there is none."""
    row = connection.execute(
        f"SELECT {COMPONENT_COLUMNS} FROM components WHERE type = ? AND name = ?",
        (component.type.value, component.name),
    ).fetchone()
    if row is None:
        return None
    existing = component_from_row(row)
    if not visible_to(component.owner, existing.owner, existing.shared):
        raise ConfigError(
            f"the name {component.name!r} is taken by another user's {component.type.noun}; "
            "rename the component in the file, then import again"
        )
    secrets_match = all(existing.secrets.get(k) == v for k, v in component.secrets.items())
    if (existing.flavor, existing.config) != (component.flavor, component.config) or not (
        secrets_match
    ):
        raise ConfigError(
            f"{component.type.with_article} named {component.name!r} already exists with "
            "another flavor, config or secrets; rename one of them, then import again"
        )
    return existing


def _check_members(connection: Connection, stack: Stack) -> Stack:
    """Refuse members the stack's owner does not see; share the owner's own private ones when
    the stack is shared, so that everyone who sees a stack sees what it is made of. The stack
    as it then is."""
    ids = [component.id for component in stack.components.values()]
    placeholders = ", ".join("?" * len(ids))
    rows = connection.execute(
        f"SELECT id, owner, shared FROM components WHERE id IN ({placeholders})", ids
    ).fetchall()
    seen = {row[0] for row in rows if visible_to(stack.owner, row[1], bool(row[2]))}
    for kind, component in stack.components.items():
        if component.id not in seen:
            raise NotFoundError(
                f"no {kind.noun} with id {component.id!r} (see 'runstack {kind.cli_name} list')"
            )
    if stack.shared:
        connection.execute(
            f"UPDATE components SET shared = 1, updated = ? WHERE shared = 0 AND id IN "
            f"({placeholders})",
            (stack.updated.isoformat(), *ids),
        )
        members = {kind: replace(c, shared=True) for kind, c in stack.components.items()}
        return replace(stack, components=members)
    return stack


def _insert_stack(connection: Connection, stack: Stack) -> None:
    _check_name_free(connection, stack)
    connection.execute(
        "INSERT INTO stacks (id, name, owner, shared, created, updated, labels) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            stack.id,
            stack.name,
            stack.owner,
            int(stack.shared),
            stack.created.isoformat(),
            stack.updated.isoformat(),
            json.dumps(stack.labels),
        ),
    )
    _insert_members(connection, stack)


def _check_name_free(connection: Connection, stack: Stack) -> None:
    clash = connection.execute(
        "SELECT 1 FROM stacks WHERE name = ? AND id != ?", (stack.name, stack.id)
    ).fetchone()
    if clash:
        raise AlreadyExistsError(
            f"a stack named {stack.name!r} already exists; choose another name"
        )


def _insert_members(connection: Connection, stack: Stack) -> None:
    connection.executemany(
        "INSERT INTO stack_components (stack_id, type, component_id) VALUES (?, ?, ?)",
        [(stack.id, t.value, c.id) for t, c in stack.components.items()],
    )
