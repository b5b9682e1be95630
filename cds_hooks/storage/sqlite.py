"""The embedded SQLite backend of the storage interface (`interface.py`); PostgreSQL is in `postgres.py`.

One connection, kept open and serialised by a lock so the thread pool can share it (opening one,
and a full fsync at every commit, cost ~2 ms of CPU per hook call — bench/), in WAL mode with
`synchronous=NORMAL`: a commit survives a crash of the service and the file is never corrupted; only a
power or OS failure can lose the last commits. Several processes may share the file (WAL, busy_timeout).
The folder is created 0700 and the file 0600 (SQLite gives its -wal/-shm files the file's mode).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .interface import Connection
from .migrations import Dialect, apply_pending, current_version

__all__ = ["SqliteDatabase"]


class SqliteDatabase:
    dialect: Dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        _create_private(path)
        with self.transaction():
            pass  # migrate now: a bad path or a locked file fails at start-up, not mid-call

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT, check_same_thread=False)
        _enable_wal(connection)
        connection.execute("PRAGMA synchronous=NORMAL")
        _migrate_sqlite(connection)
        return connection

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Opens (again) on first use, so a database outlives an app shutdown/startup cycle."""
        with self._lock:
            if self._connection is None:
                self._connection = self._open()
            with self._connection:
                yield self._connection

    def ping(self) -> bool:
        try:
            with self.transaction() as connection:
                connection.execute("SELECT 1").fetchall()
        except sqlite3.Error:
            return False
        return True

    def schema_version(self) -> int:
        with self.transaction() as connection:
            return current_version(connection)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


_BUSY_TIMEOUT = 10.0


def _enable_wal(connection: sqlite3.Connection) -> None:
    """WAL mode, waiting as long as the busy timeout while another process holds the fresh file.

    Switching a new file to WAL needs it to itself, and SQLite answers "database is locked" at once, without
    its busy handler, while another worker starting at the same moment is migrating it.
    """
    deadline = time.monotonic() + _BUSY_TIMEOUT
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def _create_private(path: Path) -> None:
    """Folder 0700 and file 0600 when this call creates them; existing ones keep the mode they have."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path.parent, 0o700)  # mkdir's mode is masked by the umask
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(path, 0o600)


def _migrate_sqlite(connection: sqlite3.Connection) -> None:
    """Apply the versions not yet recorded, all in one IMMEDIATE transaction (other processes wait)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        apply_pending(connection, "sqlite")
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
