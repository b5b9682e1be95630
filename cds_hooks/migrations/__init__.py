"""Versioned SQL files, applied in order at start-up; the versions applied are recorded in `schema_version`.

Why plain files and not a migration tool (Alembic, yoyo): three small tables, two dialects, no ORM. A file
per version per dialect (`NNNN_name.sql`) is reviewable as it stands, needs no dependency, and runs inside
one transaction holding a lock — `BEGIN IMMEDIATE` in SQLite, `pg_advisory_xact_lock` in PostgreSQL — so
replicas or workers starting together apply each version exactly once. A file holds plain statements
separated by `;` (no `;` inside a statement: no triggers or functions).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from typing import Literal

__all__ = ["SCHEMA_VERSION_TABLE", "Dialect", "Migration", "migrations", "statements"]

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
