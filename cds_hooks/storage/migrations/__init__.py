"""Versioned SQL files, applied in order at start-up; the versions applied are recorded in `schema_version`.

Why plain files and not a migration tool (Alembic, yoyo): four small tables, two dialects, no ORM. A file
per version per dialect (`NNNN_name.sql`) is reviewable as it stands, needs no dependency, and runs inside
one transaction holding a lock — `BEGIN IMMEDIATE` in SQLite, `pg_advisory_xact_lock` in PostgreSQL — so
replicas or workers starting together apply each version exactly once. A file holds plain statements
separated by `;` (no `;` inside a statement: no triggers or functions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any, Literal, Protocol

__all__ = [
    "SCHEMA_VERSION_TABLE",
    "Dialect",
    "Migration",
    "apply_pending",
    "current_version",
    "migrations",
    "statements",
]

Dialect = Literal["sqlite", "postgresql"]

SCHEMA_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL)"
)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(dialect: Dialect) -> list[Migration]:
    """The dialect's migrations in version order; a gap or a duplicate version is a packaging error."""
    found: list[Migration] = []
    for entry in files(__package__).joinpath(dialect).iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append(Migration(int(number), rest.removesuffix(".sql"), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(f"{dialect} migrations are not numbered 1..n: {[m.version for m in found]}")
    return found


def statements(sql: str) -> list[str]:
    """The statements of a migration file, comments dropped."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


class _Rows(Protocol):
    def fetchall(self) -> list[Any]: ...


class _Executes(Protocol):
    """What both backends' connections offer (`?` placeholders): enough to migrate."""

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> _Rows: ...


def current_version(connection: _Executes) -> int:
    """The highest version recorded in `schema_version` (0 before the first migration)."""
    return int(connection.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchall()[0][0])


def apply_pending(connection: _Executes, dialect: Dialect) -> list[int]:
    """Create `schema_version` if needed and apply, in order, the versions not yet recorded there.

    The caller holds the dialect's lock inside one transaction, so each version is applied exactly once
    however many processes start together. Returns the versions applied now.
    """
    connection.execute(SCHEMA_VERSION_TABLE)
    current = current_version(connection)
    applied: list[int] = []
    for migration in migrations(dialect):
        if migration.version <= current:
            continue
        for statement in statements(migration.sql):
            connection.execute(statement)
        connection.execute(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
            (migration.version, migration.name, datetime.now(UTC).isoformat()),
        )
        applied.append(migration.version)
    return applied
