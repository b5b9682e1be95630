"""PostgreSQL backend (psycopg 3 with a connection pool): feedback, audit and seen JWT ids shared by replicas.

Every guarantee that must hold across replicas is a constraint the database enforces — UNIQUE feedback
keys and the (iss, jti) primary key with `ON CONFLICT DO NOTHING` — never a read followed by a write.
Connections are checked on checkout, so after a database restart a stale connection is replaced instead
of failing a request. The stores' `?` placeholders become psycopg's `%s`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from .interface import Connection, Cursor, DatabaseError
from .migrations import Dialect, apply_pending, current_version

__all__ = ["PostgresDatabase"]

logger = logging.getLogger("cml_cds.database")

# Any constant: the key of the advisory lock replicas take while migrating.
_MIGRATION_LOCK = 0x636D6C636473


class _Connection:
    """A psycopg connection that takes the stores' `?` placeholders."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Cursor:
        return self._connection.execute(sql.replace("?", "%s"), tuple(params))


class PostgresDatabase:
    dialect: Dialect = "postgresql"

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 8, timeout: float = 5.0) -> None:
        self._pool = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            open=False,
            check=ConnectionPool.check_connection,
            kwargs={"connect_timeout": max(1, int(timeout)), "application_name": "cml-cds"},
            name="cml-cds",
        )
        try:
            self._pool.open(wait=True, timeout=timeout * 3)
            self._migrate()
        except (psycopg.Error, PoolTimeout, DatabaseError) as exc:
            self._pool.close()
            raise DatabaseError(f"PostgreSQL at {_where(url)} unavailable at start-up: {type(exc).__name__}") from exc

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        try:
            with self._pool.connection() as connection, connection.transaction():
                yield _Connection(connection)
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise DatabaseError(f"PostgreSQL unavailable: {type(exc).__name__}") from exc

    def ping(self) -> bool:
        try:
            with self._pool.connection(timeout=2.0) as connection:
                connection.execute("SELECT 1").fetchall()
        except (psycopg.Error, PoolTimeout):
            return False
        return True

    def schema_version(self) -> int:
        with self.transaction() as connection:
            return current_version(connection)

    def close(self) -> None:
        self._pool.close()

    def _migrate(self) -> None:
        with self.transaction() as connection:
            connection.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
            for version in apply_pending(connection, "postgresql"):
                logger.info("schema migrated", extra={"schema_version": version})


def _where(url: str) -> str:
    """host:port/dbname of a connection URL, for messages: never the password."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "<unparsable database_url>"
    return f"{parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"
