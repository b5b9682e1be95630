"""The audit table (`cds_hooks.audit` has the records): one row per hook call, beside the feedback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..audit import AuditRecord
from .interface import Database
from .store import Store

__all__ = ["AuditStore"]

_COLUMNS = (
    "recorded_at, hook_instance, service_id, issuer, patient_pseudonym, finding_codes, knowledge_version,"
    " latency_ms, status_code, cards"
)


class AuditStore(Store):
    def __init__(self, database: Database | Path) -> None:
        super().__init__(database)

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
