"""The users of a team server and their tokens, in the store's database (portable SQL)."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import TYPE_CHECKING

from runstack.errors import AlreadyExistsError, AuthenticationError, NotFoundError
from runstack.names import check_name
from runstack.stacks import now
from runstack.users import User, new_token, token_hash

if TYPE_CHECKING:
    from runstack.store.sql_database import Database

_LOGIN_HINT = "log in again with 'runstack login URL --token TOKEN'"


class UserTable:
    """Who may call the server; a user's tokens work until the user is revoked."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def create(self, name: str) -> str:
        """Add a user with a new token; the token, which only this call ever sees."""
        check_name(name, "user")
        token = new_token()
        created = now().isoformat()
        with self.database.transaction() as connection:
            if connection.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise AlreadyExistsError(
                    f"a user named {name!r} already exists (see 'runstack server user list'); "
                    "choose another name"
                )
            connection.execute(
                "INSERT INTO users (name, created, revoked) VALUES (?, ?, NULL)", (name, created)
            )
            connection.execute(
                "INSERT INTO tokens (hash, user_name, created) VALUES (?, ?, ?)",
                (token_hash(token), name, created),
            )
        return token

    def list(self) -> list[User]:
        rows = self.database.query("SELECT name, created, revoked FROM users ORDER BY name")
        return [_user(row) for row in rows]

    def revoke(self, name: str) -> User:
        """Stop every token of the user; the user stays listed as revoked."""
        with self.database.transaction() as connection:
            changed = connection.execute(
                "UPDATE users SET revoked = ? WHERE name = ? AND revoked IS NULL",
                (now().isoformat(), name),
            ).rowcount
            row = connection.execute(
                "SELECT name, created, revoked FROM users WHERE name = ?", (name,)
            ).fetchone()
        if row is None:
            raise NotFoundError(f"no user named {name!r}; see 'runstack server user list'")
        if not changed:
            raise NotFoundError(f"the user {name!r} is revoked already")
        return _user(row)

    def authenticate(self, token: str) -> User:
        """The user a bearer token belongs to; an `AuthenticationError` for a wrong or
        revoked one."""
        wanted = token_hash(token)
        rows = self.database.query(
            "SELECT t.hash, u.name, u.created, u.revoked FROM tokens t "
            "JOIN users u ON u.name = t.user_name WHERE t.hash = ?",
            (wanted,),
        )
        if not rows or not hmac.compare_digest(rows[0][0], wanted):
            raise AuthenticationError(f"the token is not valid on this server; {_LOGIN_HINT}")
        user = _user(rows[0][1:])
        if user.revoked is not None:
            raise AuthenticationError(
                f"the token of user {user.name!r} was revoked; ask the server's admin for a new "
                f"user and {_LOGIN_HINT}"
            )
        return user


def _user(row: tuple[str, str, str | None]) -> User:
    return User(
        name=row[0],
        created=datetime.fromisoformat(row[1]),
        revoked=None if row[2] is None else datetime.fromisoformat(row[2]),
    )
