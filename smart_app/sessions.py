"""SMART launches and sessions: what a launch and a signed-in session hold, kept in the shared store.

The access token never reaches the browser: the cookie only names a row of `smart_session`
(`cds_hooks.storage.sessions`), in the configured database (the SQLite file, or PostgreSQL shared by
replicas), encrypted with `smart_session_key`. Any worker of any replica can therefore take the EHR's
redirect back or draw the page: no sticky routing needed. Pending launches expire after
`smart_pending_ttl_seconds` and are capped per client address; signed-in sessions are never evicted by
launches.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from cds_hooks.storage.sessions import SessionStore

__all__ = ["COOKIE", "Authorised", "Pending", "SmartSessions"]

_T = TypeVar("_T", "Pending", "Authorised")

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


class SmartSessions:
    """Pending launches and sessions over the shared, encrypted store (database calls off the event loop)."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"SmartSessions({self.store!r})"

    async def launch(self, pending: Pending, client: str) -> str:
        """Store a launch for this client address; returns the cookie value."""
        return await run_in_threadpool(self.store.put_pending, _dump(pending), client)

    async def sign_in(self, authorised: Authorised) -> str:
        """Store a signed-in session under a new cookie value; returns it."""
        return await run_in_threadpool(self.store.put_session, _dump(authorised), authorised.expires_at)

    async def pending(self, cookie: str | None) -> Pending | None:
        payload = await run_in_threadpool(self.store.get, cookie, "pending")
        return _load(Pending, payload)

    async def session(self, cookie: str | None) -> Authorised | None:
        payload = await run_in_threadpool(self.store.get, cookie, "session")
        return _load(Authorised, payload)

    async def use_pending(self, cookie: str | None) -> bool:
        """Consume the launch; False when another callback (any worker, any replica) consumed it first."""
        return await run_in_threadpool(self.store.take, cookie, "pending")

    async def drop(self, cookie: str | None) -> None:
        await run_in_threadpool(self.store.drop, cookie)


def _dump(value: Pending | Authorised) -> bytes:
    return json.dumps(asdict(value), separators=(",", ":")).encode()


def _load(kind: type[_T], payload: bytes | None) -> _T | None:
    if payload is None:
        return None
    try:
        data: Any = json.loads(payload)
        return kind(**data)
    except (ValueError, TypeError):
        return None
