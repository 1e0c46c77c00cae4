"""The one place a database URL becomes a store: a SQLite file, or a team's PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from runstack.errors import ConfigError

if TYPE_CHECKING:
    from runstack.store.base import ServerStore

SQLITE_SCHEME = "sqlite://"
_FORMS = "a SQLite file path, sqlite:///absolute/path.db or postgresql://user@host/database"


def open_store(url: str, *, owner: str) -> ServerStore:
    """The store `url` names, migrated to the current schema; `owner` owns what a new store
    is seeded with."""
    scheme, separator, _ = url.partition("://")
    if not separator:
        return _sqlite(Path(url).expanduser(), owner)
    if url.startswith(SQLITE_SCHEME):
        return _sqlite(Path(url.removeprefix(SQLITE_SCHEME)).expanduser(), owner)
    if scheme in ("postgresql", "postgres"):
        raise ConfigError(f"this runstack cannot open PostgreSQL databases yet; give {_FORMS}")
    raise ConfigError(f"unknown kind of database {scheme!r} in {url!r}; give {_FORMS}")


def _sqlite(path: Path, owner: str) -> ServerStore:
    if not path.name:
        raise ConfigError(f"the database URL names no file; give {_FORMS}")
    from runstack.store.sqlite import SqliteStore

    return SqliteStore(path.absolute(), owner=owner)
