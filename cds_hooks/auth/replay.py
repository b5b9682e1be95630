"""Seen `jti`s in SQLite, so a replayed JWT is refused across workers and restarts until it expires.

The primary key (iss, jti) makes "first use" atomic: of two concurrent requests with the same token,
exactly one INSERT succeeds. Rows are kept until the token's own expiry; a JWT cannot outlive
`max_token_lifetime_seconds`, which bounds the table.
"""

from __future__ import annotations

from pathlib import Path

from ..database import Database

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
        self._database = Database(path, _SCHEMA)

    def close(self) -> None:
        self._database.close()

    def first_use(self, iss: str, jti: str, expires_at: float, now: float) -> bool:
        """Record the jti; False when it was already seen and has not expired (a replay)."""
        with self._database.transaction() as connection:
            connection.execute("DELETE FROM seen_jti WHERE expires_at < ?", (now,))
            cursor = connection.execute(
                "INSERT OR IGNORE INTO seen_jti (iss, jti, expires_at) VALUES (?, ?, ?)", (iss, jti, expires_at)
            )
            return cursor.rowcount == 1
