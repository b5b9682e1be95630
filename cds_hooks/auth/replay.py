"""Seen `jti`s in SQLite, so a replayed JWT is refused across workers and restarts until it expires.

The primary key (iss, jti) makes "first use" atomic: of two concurrent requests with the same token,
exactly one INSERT succeeds. Rows are kept until the token's own expiry; a JWT cannot outlive
`max_token_lifetime_seconds`, which bounds the table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["JtiStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen_jti (
    iss TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (iss, jti)
);
CREATE INDEX IF NOT EXISTS seen_jti_expiry ON seen_jti (expires_at);
"""


class JtiStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=10)
        try:
            with connection:
                yield connection
        finally:
            connection.close()

    def first_use(self, iss: str, jti: str, expires_at: float, now: float) -> bool:
        """Record the jti; False when it was already seen and has not expired (a replay)."""
        with self._connect() as connection:
            connection.execute("DELETE FROM seen_jti WHERE expires_at < ?", (now,))
            cursor = connection.execute(
                "INSERT OR IGNORE INTO seen_jti (iss, jti, expires_at) VALUES (?, ?, ?)", (iss, jti, expires_at)
            )
            return cursor.rowcount == 1
