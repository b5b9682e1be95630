"""Feedback storage (SQLite or PostgreSQL, see interface.py): durable before the answer, idempotent by content.

The same feedback item sent twice — to one replica or to two — is stored once: a UNIQUE key on what
identifies it and `ON CONFLICT DO NOTHING`, so the database decides, not a read before the write.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..models import Feedback
from .interface import Database
from .store import Store

__all__ = ["FeedbackStore", "StoredFeedback"]

StoredFeedback = dict[str, Any]

_COLUMNS = "service_id, card, outcome, outcome_timestamp, accepted_suggestions, override_reason"


class FeedbackStore(Store):
    def __init__(self, database: Database | Path) -> None:
        super().__init__(database)

    def add(self, service_id: str, items: list[Feedback]) -> tuple[int, int]:
        """Store the items in one transaction; returns (stored, already present)."""
        received = datetime.now(UTC).isoformat()
        stored = 0
        with self.database.transaction() as connection:
            for item in items:
                cursor = connection.execute(
                    f"INSERT INTO feedback ({_COLUMNS}, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
                    " ON CONFLICT DO NOTHING",  # constant columns; values are bound
                    (
                        service_id,
                        item.card,
                        item.outcome,
                        item.outcomeTimestamp,
                        _json([s.model_dump() for s in item.acceptedSuggestions or []] or None),
                        _json(item.overrideReason.model_dump(exclude_none=True) if item.overrideReason else None),
                        received,
                    ),
                )
                stored += max(cursor.rowcount, 0)
        return stored, len(items) - stored

    def all(self, service_id: str | None = None, since: str | None = None) -> list[StoredFeedback]:
        """Stored items in insertion order; `since` (ISO date or time) compares with outcomeTimestamp."""
        query = f"SELECT {_COLUMNS} FROM feedback WHERE 1 = 1"  # noqa: S608 constant columns; values are bound
        params: list[str] = []
        if service_id is not None:
            query += " AND service_id = ?"
            params.append(service_id)
        if since is not None:
            query += " AND outcome_timestamp >= ?"
            params.append(since)
        with self.database.transaction() as connection:
            rows = connection.execute(query + " ORDER BY id", params).fetchall()
        return [
            {
                "service_id": r[0],
                "card": r[1],
                "outcome": r[2],
                "outcomeTimestamp": r[3],
                "acceptedSuggestions": json.loads(r[4]) if r[4] else None,
                "overrideReason": json.loads(r[5]) if r[5] else None,
            }
            for r in rows
        ]


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)
