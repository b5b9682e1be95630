"""The audit trail: one row per hook call in the database beside the feedback, and one JSON log line.

What is recorded is what an operator needs to answer "who asked, what did we say, how fast, did it
fail" — hookInstance, service, issuer, the cards returned (uuid and finding code, so feedback can be
joined to findings), knowledge version, latency, status — and a patient pseudonym, never the patient id
or any clinical value. The row is written by an AuditWriter thread after the answer has gone out
(`audit_writer.py`); the log line is written at once by the middleware (`audit_middleware.py`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .database import Database, SqliteDatabase

__all__ = ["AuditDraft", "AuditRecord", "AuditStore"]

_COLUMNS = (
    "recorded_at, hook_instance, service_id, issuer, patient_pseudonym, finding_codes, knowledge_version,"
    " latency_ms, status_code, cards"
)


@dataclass
class AuditDraft:
    """Filled in by the route as it learns things; the middleware completes and stores it."""

    hook_instance: str | None = None
    issuer: str | None = None
    patient_pseudonym: str | None = None
    finding_codes: list[str] = field(default_factory=list)
    cards: list[tuple[str, str]] = field(default_factory=list)  # (card uuid, finding code)
    knowledge_version: str | None = None


@dataclass(frozen=True)
class AuditRecord:
    service_id: str
    status_code: int
    latency_ms: float
    hook_instance: str | None
    issuer: str | None
    patient_pseudonym: str | None
    finding_codes: tuple[str, ...]
    knowledge_version: str | None
    cards: tuple[tuple[str, str], ...] = ()
    recorded_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


class AuditStore:
    def __init__(self, database: Database | Path) -> None:
        """A Path opens (and owns) a SQLite file of its own; a Database is shared with the other stores."""
        self._owned = isinstance(database, Path)
        self.database: Database = SqliteDatabase(database) if isinstance(database, Path) else database

    def close(self) -> None:
        if self._owned:
            self.database.close()

    def add(self, record: AuditRecord) -> None:
        self.add_many([record])

    def add_many(self, records: list[AuditRecord]) -> None:
        """All in one transaction (the writer's batch): one commit, not one per hook call."""
        with self.database.transaction() as connection:
            for record in records:
                connection.execute(
                    f"INSERT INTO audit ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608 constant columns
                    (
                        record.recorded_at,
                        record.hook_instance,
                        record.service_id,
                        record.issuer,
                        record.patient_pseudonym,
                        json.dumps(list(record.finding_codes)),
                        record.knowledge_version,
                        record.latency_ms,
                        record.status_code,
                        json.dumps([list(card) for card in record.cards]),
                    ),
                )

    def all(self, since: str | None = None) -> list[dict[str, Any]]:
        """Rows in insertion order; `since` (ISO date or time) compares with recorded_at."""
        where, params = ("WHERE recorded_at >= ?", [since]) if since is not None else ("", [])
        with self.database.transaction() as connection:
            query = f"SELECT id, {_COLUMNS} FROM audit {where} ORDER BY id"  # noqa: S608 constants; values are bound
            rows = connection.execute(query, params).fetchall()
        names = ["id", *(name.strip() for name in _COLUMNS.split(","))]
        result = [dict(zip(names, row, strict=True)) for row in rows]
        for row in result:
            row["finding_codes"] = json.loads(row["finding_codes"])
            row["cards"] = [tuple(card) for card in json.loads(row["cards"])]
        return result
