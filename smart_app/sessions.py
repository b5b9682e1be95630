"""Server-side launch sessions, keyed by a random id in an HttpOnly cookie.

The access token never reaches the browser: the cookie only names a session held in this process. The
store is bounded (oldest dropped first) and every session expires, so a flood of launches cannot grow it.
One process holds its own sessions: run the app behind sticky sessions when `--workers` > 1.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

__all__ = ["COOKIE", "Authorised", "Pending", "SessionStore"]

COOKIE = "cmlcds_smart"


@dataclass(frozen=True)
class Pending:
    """A launch sent to the authorization server, waiting for its redirect back."""

    iss: str
    client_id: str
    state: str = field(repr=False)
    code_verifier: str = field(repr=False)
    token_endpoint: str
    redirect_uri: str


@dataclass(frozen=True)
class Authorised:
    """A finished launch: the patient in context and the app's access token to the EHR's FHIR server."""

    iss: str
    patient: str
    access_token: str = field(repr=False)
    expires_at: float
    scope: str = ""


class SessionStore:
    def __init__(self, ttl_seconds: float = 3600.0, max_sessions: int = 2000) -> None:
        self._ttl = ttl_seconds
        self._max = max_sessions
        self._items: OrderedDict[str, tuple[float, Pending | Authorised]] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SessionStore(sessions={len(self._items)}, ttl={self._ttl:g})"

    def put(self, value: Pending | Authorised, session_id: str | None = None) -> str:
        """Store under a new random id (or replace `session_id`'s value); returns the id for the cookie."""
        key = session_id or secrets.token_urlsafe(32)
        expires = time.monotonic() + self._ttl
        with self._lock:
            self._items.pop(key, None)
            self._items[key] = (expires, value)
            while len(self._items) > self._max:
                self._items.popitem(last=False)
        return key

    def get(self, session_id: str | None) -> Pending | Authorised | None:
        if not session_id:
            return None
        with self._lock:
            item = self._items.get(session_id)
            if item is None:
                return None
            expires, value = item
            if expires < time.monotonic():
                del self._items[session_id]
                return None
            return value

    def drop(self, session_id: str | None) -> None:
        if session_id:
            with self._lock:
                self._items.pop(session_id, None)
