"""The service's SQLite file (feedback, audit, seen JWT ids): one connection per store, kept open.

Why not a connection per operation: opening one, and a full fsync at every commit, cost ~2 ms of CPU per
hook call for the audit row alone (bench/). Here a store keeps one connection, serialised by a lock so
the thread pool can share it, in WAL mode with `synchronous=NORMAL`: a commit survives a crash of the
service, and the file is never corrupted; only a power or OS failure can lose the last commits.
Several processes may share the file (WAL, `busy_timeout`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["Database"]


class Database:
    def __init__(self, path: Path, schema: str) -> None:
        self.path = path
        self._schema = schema
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        path.parent.mkdir(parents=True, exist_ok=True)
        with self.transaction():
            pass  # create the tables now: a bad path or a locked file fails at start-up, not mid-call

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.executescript(self._schema)
        return connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection, inside one transaction: committed on exit, rolled back on an exception.

        Opens (again) on first use, so a store outlives an app shutdown/startup cycle.
        """
        with self._lock:
            if self._connection is None:
                self._connection = self._open()
            with self._connection:
                yield self._connection

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
