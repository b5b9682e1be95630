"""Seen `jti`s in the database, so a replayed JWT is refused across workers, replicas and restarts.

The primary key (iss, jti) with `ON CONFLICT DO NOTHING` makes "first use" atomic: of two concurrent
requests with the same token — on one replica or two sharing PostgreSQL — exactly one INSERT stores a
row. Rows are kept until the token's own expiry (a JWT cannot outlive `max_token_lifetime_seconds`), then
deleted; the clean-up runs at most every `cleanup_seconds` per process, not on every call.
"""

from __future__ import annotations

import threading
from pathlib import Path

from .interface import Database
from .store import Store

__all__ = ["JtiStore"]


class JtiStore(Store):
    def __init__(self, database: Database | Path, *, cleanup_seconds: float = 60.0) -> None:
        super().__init__(database)
        self.cleanup_seconds = cleanup_seconds
        self._next_cleanup = float("-inf")
        self._lock = threading.Lock()

    def first_use(self, iss: str, jti: str, expires_at: float, now: float) -> bool:
        """Record the jti; False when it was already seen and has not expired (a replay)."""
        with self.database.transaction() as connection:
            if self._cleanup_due(now):
                connection.execute("DELETE FROM seen_jti WHERE expires_at < ?", (now,))
            cursor = connection.execute(
                "INSERT INTO seen_jti (iss, jti, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (iss, jti, expires_at),
            )
            return cursor.rowcount == 1

    def count(self) -> int:
        """Rows kept (expired ones included until the next clean-up)."""
        with self.database.transaction() as connection:
            return int(connection.execute("SELECT COUNT(*) FROM seen_jti").fetchall()[0][0])

    def _cleanup_due(self, now: float) -> bool:
        with self._lock:
            if now < self._next_cleanup:
                return False
            self._next_cleanup = now + self.cleanup_seconds
            return True
