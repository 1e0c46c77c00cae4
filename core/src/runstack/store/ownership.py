"""Who sees a stack or component: its owner, and every user once it is shared.

The tables put this one condition in their queries, so a store acting for any user
(`Store.acting_as`) shows each user what the embedded store shows them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runstack.errors import NotFoundError

if TYPE_CHECKING:
    from runstack.store.sql_database import Connection

# A condition on a `stacks` or `components` row; its parameter is the acting user's name.
VISIBLE = "(owner = ? OR shared = 1)"


def visible_to(user: str, owner: str, shared: bool) -> bool:
    """The same condition, on a row already read."""
    return owner == user or shared


def visible_row(connection: Connection, table: str, columns: str, record_id: str, user: str) -> Any:
    """The `columns` of the stack or component (`table`) `record_id` that `user` sees, read
    inside a write transaction; gone or never seen reads as gone."""
    row = connection.execute(
        f"SELECT {columns} FROM {table} WHERE id = ? AND {VISIBLE}", (record_id, user)
    ).fetchone()
    if row is None:
        raise NotFoundError(f"the {table[:-1]} with id {record_id!r} no longer exists")
    return row
