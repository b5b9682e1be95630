"""Which storage backend a process uses: PostgreSQL when `database_url` is set, else the SQLite file.

Its own module so that the interface (`database.py`) and the PostgreSQL backend (`postgres.py`, which
implements that interface) import one way, and psycopg is loaded only when PostgreSQL is configured.
"""

from __future__ import annotations

from pathlib import Path

from .database import Database, SqliteDatabase

__all__ = ["open_database"]


def open_database(database_path: Path, database_url: str | None) -> Database:
    """PostgreSQL when a URL is configured, else the SQLite file."""
    if database_url:
        from .postgres import PostgresDatabase  # psycopg only where PostgreSQL is used

        return PostgresDatabase(database_url)
    return SqliteDatabase(database_path)
