"""The SQLite file under the store: opening, schema migrations, transactions and reads."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runstack.errors import StoreError
from runstack.private_files import (
    create_private_file,
    keep_home_private,
    keep_store_private,
    make_folder,
)
from runstack.store.sql_schema import MIGRATIONS, SCHEMA_VERSION, newer_schema_error, statements

if TYPE_CHECKING:
    from types import ModuleType

    from runstack.store.sql_database import Seed

BUSY_TIMEOUT_SECONDS = 30.0


def _errors() -> ModuleType:
    """How SQLite and OS errors read to a person; imported only when one happens."""
    from runstack.store import sqlite_errors

    return sqlite_errors


class SqliteDatabase:
    """One SQLite file: opened and migrated on start, then one transaction per write.

    Reads go through a read-only connection and writes through a second one
    opened on the first write: a command that only reads (`stack list`) then
    never pays for the checkpoint, and its fsync, that closing a writer costs.
    Both are shared by the threads of a run; a lock keeps each transaction (and
    each read) whole. Every table of the store holds the same one.
    """

    def __init__(self, path: Path, *, owner: str, seed: Seed) -> None:
        self.path = path
        self._seed = seed
        self.location = str(path)
        self._lock = threading.RLock()
        self._writer: sqlite3.Connection | None = None
        self._connection = self._open(owner)
        self._identity = self._file_identity()

    # -- opening -------------------------------------------------------------

    def _open(self, owner: str) -> sqlite3.Connection:
        """The connection reads use: read-only when the store exists and is current."""
        writing = False
        try:
            make_folder(self.path.parent)
            if self.path.exists():
                reader = self._open_reader()
                try:
                    current = self._schema_version(reader) == SCHEMA_VERSION
                except BaseException:
                    reader.close()
                    raise
                if current:
                    return reader
                reader.close()
            writing = True
            writer = self._connect(read_only=False)
            try:
                self._check_schema(writer, owner)
            except BaseException:
                writer.close()
                raise
            self._writer = writer
            return writer
        except (sqlite3.Error, OSError) as error:
            raise _errors().store_error(self.path, error, writing=writing) from None

    def _open_reader(self) -> sqlite3.Connection:
        """A read-only connection, even where SQLite cannot make its side files.

        Reading a WAL store needs a `-shm` file, which a full disk or a read-only
        folder cannot give. With no unmerged `-wal` content the file alone is the
        whole store, and SQLite reads it as immutable, needing no side file.
        """
        reader = None
        try:
            reader = self._connect(read_only=True)
            reader.execute("SELECT 1 FROM sqlite_master LIMIT 1")  # the first read needs them
            return reader
        except sqlite3.Error as error:
            if reader is not None:
                reader.close()
            wal = Path(f"{self.path}-wal")
            if _errors().is_damaged(error) or (wal.exists() and wal.stat().st_size > 0):
                raise
        return self._connect(read_only=True, immutable=True)

    def _connect(self, *, read_only: bool, immutable: bool = False) -> sqlite3.Connection:
        if not read_only:
            keep_home_private(self.path.parent)
            create_private_file(self.path)
            keep_store_private(self.path)
        target = f"file:{self.path}?mode=ro" if read_only else f"file:{self.path}"
        if immutable:
            target += "&immutable=1"
        connection = sqlite3.connect(
            target,
            uri=True,
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            connection.execute("PRAGMA foreign_keys = ON")
            # In WAL mode NORMAL is corruption-safe and skips an fsync per commit; a power
            # cut (not a crash) may lose the last commits, never the file.
            connection.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            connection.close()
            raise
        return connection

    def _schema_version(self, connection: sqlite3.Connection) -> int:
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise newer_schema_error(self.location, version, SCHEMA_VERSION)
        return version

    def _file_identity(self) -> tuple[int, int] | None:
        """Which file is at the path now (device and inode); None if there is none."""
        try:
            status = self.path.stat()
        except FileNotFoundError:
            return None
        return status.st_dev, status.st_ino

    def _check_same_file(self) -> None:
        """Refuse to write once the store at the path is not the file opened.

        SQLite would carry on writing into a deleted file, or a new connection would
        make a fresh empty store there: either way the writes would be lost.
        """
        if self._file_identity() != self._identity:
            raise StoreError(
                f"the store {self.path} was deleted or replaced while runstack was using it; "
                "nothing more is written to it: run the command again to use the store at "
                "that path now"
            )

    def _writing_connection(self) -> sqlite3.Connection:
        """The read-write connection, opened on the first write."""
        if self._writer is None:
            self._writer = self._connect(read_only=False)
        return self._writer

    def _check_schema(self, connection: sqlite3.Connection, owner: str) -> None:
        if self._schema_version(connection) < SCHEMA_VERSION:
            self._migrate(connection, owner)

    def _migrate(self, connection: sqlite3.Connection, owner: str) -> None:
        """Bring the schema up to date (a new store: create it and the default stack).

        Runs in one immediate transaction, so processes racing here migrate once.
        WAL mode rewrites the file header, so it is switched on only once the file
        is known to be a runstack store: another program's file stays untouched.
        """
        connection.execute("BEGIN IMMEDIATE")
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if (
                version == 0
                and connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                ).fetchall()
            ):
                raise StoreError(
                    f"{self.path} is an SQLite file of some other program, not a runstack "
                    "store; it is left untouched: set RUNSTACK_HOME to another folder"
                )
            for script in MIGRATIONS[version:]:
                for statement in statements(script):
                    connection.execute(statement)
            if version == 0:
                self._seed(connection, owner)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("PRAGMA journal_mode = WAL")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taking the write lock up front so it never deadlocks."""
        with self._lock:
            self._check_same_file()
            try:
                connection = self._writing_connection()
                connection.execute("BEGIN IMMEDIATE")
            except (sqlite3.Error, OSError) as error:
                raise _errors().store_error(self.path, error, writing=True) from None
            try:
                yield connection
                connection.execute("COMMIT")
            except BaseException as error:
                # A failed COMMIT (a full disk) may have ended the transaction already.
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error):
                    raise _errors().store_error(self.path, error, writing=True) from None
                raise

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._connection.execute(sql, parameters).fetchall()
            except sqlite3.Error as error:
                raise _errors().store_error(self.path, error, writing=False) from None

    def close(self) -> None:
        self._connection.close()
        if self._writer is not None and self._writer is not self._connection:
            self._writer.close()
