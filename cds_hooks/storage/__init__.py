"""Storage: one interface (`interface.Database`), two backends, the stores built on it, and the migrations.

- `sqlite.SqliteDatabase`: the embedded file at `database_path` (one replica, any number of workers);
- `postgres.PostgresDatabase`: PostgreSQL at `database_url`, shared by replicas (psycopg is imported only
  when it is configured);
- the stores: `feedback.FeedbackStore`, `audit.AuditStore` (written by `audit_writer.AuditWriter`),
  `replay.JtiStore` (seen JWT ids), `sessions.SessionStore` (SMART launches and sessions, encrypted);
- `migrations/`: versioned SQL files per dialect, applied at start-up.

Every guarantee that must hold across workers and replicas is a constraint or a single statement the
database decides (a UNIQUE key with `ON CONFLICT DO NOTHING`, a `DELETE` whose row count says who won),
never a read followed by a write.
"""

from __future__ import annotations

from pathlib import Path

from .interface import Connection, Cursor, Database, DatabaseError
from .migrations import Dialect
from .sqlite import SqliteDatabase

__all__ = ["Connection", "Cursor", "Database", "DatabaseError", "Dialect", "SqliteDatabase", "open_database"]


def open_database(database_path: Path, database_url: str | None) -> Database:
    """PostgreSQL when a URL is configured, else the SQLite file."""
    if database_url:
        from .postgres import PostgresDatabase  # psycopg only where PostgreSQL is used

        return PostgresDatabase(database_url)
    return SqliteDatabase(database_path)
