"""SQLite storage for feedback: embedded, survives restarts, idempotent by content.

One connection per operation keeps it thread-safe under the thread pool; WAL lets reads run beside a
write. The same feedback item sent twice is stored once (a UNIQUE key on what identifies it).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .database import Database
from .models import Feedback

__all__ = ["FeedbackStore", "StoredFeedback"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    service_id TEXT NOT NULL,
    card TEXT NOT NULL,
    outcome TEXT NOT NULL,
    outcome_timestamp TEXT NOT NULL,
    accepted_suggestions TEXT,
    override_reason TEXT,
    received_at TEXT NOT NULL,
    UNIQUE (service_id, card, outcome, outcome_timestamp)
);
"""

StoredFeedback = dict[str, Any]


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._database = Database(path, _SCHEMA)

    def close(self) -> None:
        self._database.close()

    def add(self, service_id: str, items: list[Feedback]) -> tuple[int, int]:
        """Store the items in one transaction; returns (stored, already present)."""
        received = datetime.now(UTC).isoformat()
        stored = 0
        with self._database.transaction() as connection:
            for item in items:
                cursor = connection.execute(
                    "INSERT OR IGNORE INTO feedback (service_id, card, outcome, outcome_timestamp,"
                    " accepted_suggestions, override_reason, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
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
                stored += cursor.rowcount
        return stored, len(items) - stored

    def all(self, service_id: str | None = None) -> list[StoredFeedback]:
        query = (
            "SELECT service_id, card, outcome, outcome_timestamp, accepted_suggestions, override_reason FROM feedback"
        )
        params: tuple[str, ...] = ()
        if service_id is not None:
            query += " WHERE service_id = ?"
            params = (service_id,)
        with self._database.transaction() as connection:
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
