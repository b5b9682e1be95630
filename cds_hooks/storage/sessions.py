"""SMART app launches and sessions in the database, encrypted: shared by every worker and replica.

A browser holds only a random cookie value; the row is keyed by its SHA-256, so someone who reads the
table cannot present a row as a cookie. The payload (the launch's state and PKCE verifier, or the
session's patient and access token) is AES-256-GCM ciphertext under `smart_session_key`, bound to its
row id and kind (associated data): a row copied under another id, or a pending launch passed off as a
session, does not decrypt. A row that does not decrypt (the key changed) is no session.

Two kinds, two lifetimes:
- `pending` — a launch sent to the EHR's sign-in, waiting for the redirect back: a short TTL
  (`smart_pending_ttl_seconds`) and at most `smart_pending_per_client` per client address (the oldest
  are dropped). Anonymous launches therefore cost a bounded number of rows per address and never touch
  a signed-in session.
- `session` — a finished launch: until `smart_session_ttl_seconds` or the access token's expiry.
Expired rows are deleted at most every `sweep_seconds` per process, in the transaction of a write.
A pending launch is used once: `take` deletes it, and the row count says which of two concurrent
callbacks (on one replica or two) won.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .interface import Connection, Database
from .store import Store

__all__ = ["Kind", "SessionStore"]

Kind = Literal["pending", "session"]
_NONCE = 12


class SessionStore(Store):
    def __init__(
        self,
        database: Database | Path,
        key: bytes,
        *,
        pending_ttl: float = 300.0,
        session_ttl: float = 3600.0,
        pending_per_client: int = 20,
        sweep_seconds: float = 60.0,
    ) -> None:
        """`database` as every store takes it (store.py); `key` encrypts the stored access tokens."""
        if len(key) != 32:
            raise ValueError("the session key must be 32 bytes (AES-256)")
        super().__init__(database)
        self._aead = AESGCM(key)
        self._client_key = hmac.new(key, b"cml-cds smart client address", hashlib.sha256).digest()
        self.pending_ttl = pending_ttl
        self.session_ttl = session_ttl
        self.pending_per_client = pending_per_client
        self.sweep_seconds = sweep_seconds
        self._next_sweep = float("-inf")
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SessionStore({self.database.dialect}, pending_ttl={self.pending_ttl:g}, ttl={self.session_ttl:g})"

    def put_pending(self, payload: bytes, client: str, now: float | None = None) -> str:
        """Store a launch; drop the oldest pending launches of this client address beyond the cap. Returns the
        cookie value."""
        now = time.time() if now is None else now
        cookie = secrets.token_urlsafe(32)
        row = _row_id(cookie)
        address = hmac.new(self._client_key, client.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]
        with self.database.transaction() as connection:
            self._sweep(connection, now)
            connection.execute(
                "INSERT INTO smart_session (id, kind, client, created_at, expires_at, payload)"
                " VALUES (?, 'pending', ?, ?, ?, ?)",
                (row, address, now, now + self.pending_ttl, self._seal(row, "pending", payload)),
            )
            connection.execute(
                "DELETE FROM smart_session WHERE kind = 'pending' AND client = ? AND id NOT IN"
                " (SELECT id FROM smart_session WHERE kind = 'pending' AND client = ?"
                " ORDER BY created_at DESC, id DESC LIMIT ?)",
                (address, address, self.pending_per_client),
            )
        return cookie

    def put_session(self, payload: bytes, expires_at: float, now: float | None = None) -> str:
        """Store a signed-in session under a new cookie value (never the launch's); returns it."""
        now = time.time() if now is None else now
        cookie = secrets.token_urlsafe(32)
        row = _row_id(cookie)
        with self.database.transaction() as connection:
            self._sweep(connection, now)
            connection.execute(
                "INSERT INTO smart_session (id, kind, client, created_at, expires_at, payload)"
                " VALUES (?, 'session', NULL, ?, ?, ?)",
                (row, now, min(expires_at, now + self.session_ttl), self._seal(row, "session", payload)),
            )
        return cookie

    def get(self, cookie: str | None, kind: Kind, now: float | None = None) -> bytes | None:
        """The payload of a live row of this kind, or None (unknown, expired, other kind, or another key's)."""
        if not cookie:
            return None
        now = time.time() if now is None else now
        row = _row_id(cookie)
        with self.database.transaction() as connection:
            rows = connection.execute(
                "SELECT payload FROM smart_session WHERE id = ? AND kind = ? AND expires_at >= ?", (row, kind, now)
            ).fetchall()
        if not rows:
            return None
        return self._open(row, kind, str(rows[0][0]))

    def take(self, cookie: str | None, kind: Kind) -> bool:
        """Delete the row; True for the one caller that deleted it (a pending launch is used once)."""
        if not cookie:
            return False
        with self.database.transaction() as connection:
            cursor = connection.execute("DELETE FROM smart_session WHERE id = ? AND kind = ?", (_row_id(cookie), kind))
            return cursor.rowcount == 1

    def drop(self, cookie: str | None) -> None:
        if cookie:
            with self.database.transaction() as connection:
                connection.execute("DELETE FROM smart_session WHERE id = ?", (_row_id(cookie),))

    def count(self, kind: Kind | None = None) -> int:
        """Rows kept (expired ones included until the next sweep)."""
        where, params = ("WHERE kind = ?", (kind,)) if kind else ("", ())
        with self.database.transaction() as connection:
            query = f"SELECT COUNT(*) FROM smart_session {where}"  # noqa: S608 - constant; values are bound
            return int(connection.execute(query, params).fetchall()[0][0])

    def _sweep(self, connection: Connection, now: float) -> None:
        with self._lock:
            if now < self._next_sweep:
                return
            self._next_sweep = now + self.sweep_seconds
        connection.execute("DELETE FROM smart_session WHERE expires_at < ?", (now,))

    def _seal(self, row: str, kind: Kind, payload: bytes) -> str:
        nonce = secrets.token_bytes(_NONCE)
        sealed = nonce + self._aead.encrypt(nonce, payload, f"{row}:{kind}".encode())
        return base64.b64encode(sealed).decode("ascii")

    def _open(self, row: str, kind: Kind, stored: str) -> bytes | None:
        try:
            sealed = base64.b64decode(stored)
            return self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], f"{row}:{kind}".encode())
        except (InvalidTag, ValueError):
            return None


def _row_id(cookie: str) -> str:
    return hashlib.sha256(cookie.encode("utf-8", "replace")).hexdigest()
