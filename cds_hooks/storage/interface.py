"""The one storage interface both backends implement: `Database` hands a store a `Connection` inside one
transaction; the store writes portable SQL with `?` placeholders and `ON CONFLICT DO NOTHING`, which both
dialects understand (PostgreSQL's backend turns `?` into psycopg's `%s`).

Implementations: `sqlite.SqliteDatabase` (embedded, one replica) and `postgres.PostgresDatabase` (shared
by replicas). `cds_hooks.storage.open_database` chooses between them from the settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from .migrations import Dialect

__all__ = ["Connection", "Cursor", "Database", "DatabaseError"]


class DatabaseError(Exception):
    """The database could not be reached or refused a statement (either backend)."""


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Cursor: ...


class Database(Protocol):
    dialect: Dialect

    def transaction(self) -> AbstractContextManager[Connection]:
        """A connection inside one transaction: committed on exit, rolled back on an exception."""
        ...

    def ping(self) -> bool:
        """Whether the database answers now (readiness); never raises."""
        ...

    def schema_version(self) -> int: ...

    def close(self) -> None: ...
