"""What every store (audit, feedback, JWT ids, SMART sessions) shares: the database it reads and writes."""

from __future__ import annotations

from pathlib import Path

from .interface import Database
from .sqlite import SqliteDatabase

__all__ = ["Store"]


class Store:
    """A Path opens (and owns) a SQLite file of its own, closed with the store; a Database is shared with the
    other stores and closed by whoever opened it."""

    def __init__(self, database: Database | Path) -> None:
        self._owned = isinstance(database, Path)
        self.database: Database = SqliteDatabase(database) if isinstance(database, Path) else database

    def close(self) -> None:
        if self._owned:
            self.database.close()
