"""What the app holds for its lifetime, and the `Annotated` dependencies routes use to reach it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from fhir_mapping.fhir_client import FhirReader
from tki_resistance.knowledge.loader import Knowledge

from .settings import Settings
from .storage import Database
from .storage.audit import AuditStore
from .storage.audit_writer import AuditWriter
from .storage.feedback import FeedbackStore
from .storage.sessions import SessionStore

if TYPE_CHECKING:  # the auth package depends on this module for its FastAPI dependency
    from .auth.verifier import TokenVerifier

__all__ = ["Runtime", "RuntimeDep", "runtime_of"]


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    knowledge: Knowledge
    feedback: FeedbackStore
    today: Callable[[], date]
    fhir_reader: FhirReader | None
    version: str
    audit: AuditStore | None = None
    verifier: TokenVerifier | None = None
    pseudonym_secret: bytes = b""
    database: Database | None = None
    audit_writer: AuditWriter | None = None
    sessions: SessionStore | None = None  # the SMART app's launches and sessions


def runtime_of(request: Request) -> Runtime:
    """The app's Runtime, for a route that resolves it itself (the hook call route: see routes.py)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _runtime(request: Request) -> Runtime:
    """Async, so FastAPI calls it inline instead of in a worker thread (a thread hop per request)."""
    return runtime_of(request)


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
