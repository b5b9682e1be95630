"""The audit trail: one row per hook call in SQLite beside the feedback, and one JSON log line.

What is recorded is what an operator needs to answer "who asked, what did we say, how fast, did it
fail" — hookInstance, service, issuer, finding codes, knowledge version, latency, status — and a patient
pseudonym, never the patient id or any clinical value.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .database import Database

__all__ = ["AuditDraft", "AuditMiddleware", "AuditRecord", "AuditStore"]

logger = logging.getLogger("cml_cds.hook")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    hook_instance TEXT,
    service_id TEXT NOT NULL,
    issuer TEXT,
    patient_pseudonym TEXT,
    finding_codes TEXT NOT NULL,
    knowledge_version TEXT,
    latency_ms REAL NOT NULL,
    status_code INTEGER NOT NULL
);
"""


@dataclass
class AuditDraft:
    """Filled in by the route as it learns things; the middleware completes and stores it."""

    hook_instance: str | None = None
    issuer: str | None = None
    patient_pseudonym: str | None = None
    finding_codes: list[str] = field(default_factory=list)
    knowledge_version: str | None = None


@dataclass(frozen=True)
class AuditRecord:
    service_id: str
    status_code: int
    latency_ms: float
    hook_instance: str | None
    issuer: str | None
    patient_pseudonym: str | None
    finding_codes: tuple[str, ...]
    knowledge_version: str | None


class AuditStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._database = Database(path, _SCHEMA)

    def close(self) -> None:
        self._database.close()

    def add(self, record: AuditRecord) -> None:
        with self._database.transaction() as connection:
            connection.execute(
                "INSERT INTO audit (recorded_at, hook_instance, service_id, issuer, patient_pseudonym,"
                " finding_codes, knowledge_version, latency_ms, status_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    datetime.now(UTC).isoformat(),
                    record.hook_instance,
                    record.service_id,
                    record.issuer,
                    record.patient_pseudonym,
                    json.dumps(list(record.finding_codes)),
                    record.knowledge_version,
                    record.latency_ms,
                    record.status_code,
                ),
            )

    def all(self) -> list[dict[str, Any]]:
        with self._database.transaction() as connection:
            cursor = connection.cursor()
            cursor.row_factory = sqlite3.Row  # on this cursor only: the connection is shared with add()
            rows = cursor.execute("SELECT * FROM audit ORDER BY id").fetchall()
        return [dict(row) | {"finding_codes": json.loads(row["finding_codes"])} for row in rows]


class AuditMiddleware:
    """Times every POST /cds-services/{id} (not feedback), then logs one line and stores one audit row.

    Pure ASGI, so the status seen is the one sent, including 401/4xx answered by exception handlers.
    """

    def __init__(self, app: ASGIApp, store: AuditStore) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        service_id = _hook_call(scope)
        if service_id is None:
            await self.app(scope, receive, send)
            return
        draft = AuditDraft()
        scope.setdefault("state", {})["audit"] = draft
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            await self._record(service_id, status, (time.perf_counter() - started) * 1000, draft)

    async def _record(self, service_id: str, status: int, latency_ms: float, draft: AuditDraft) -> None:
        record = AuditRecord(
            service_id=service_id,
            status_code=status,
            latency_ms=round(latency_ms, 2),
            hook_instance=draft.hook_instance,
            issuer=draft.issuer,
            patient_pseudonym=draft.patient_pseudonym,
            finding_codes=tuple(draft.finding_codes),
            knowledge_version=draft.knowledge_version,
        )
        logger.info("hook call", extra={"audit": asdict(record)})
        try:
            await run_in_threadpool(self.store.add, record)
        except sqlite3.Error:
            logger.exception("audit record not stored", extra={"hook_instance": record.hook_instance})


def _hook_call(scope: Scope) -> str | None:
    if scope["type"] != "http" or scope.get("method") != "POST":
        return None
    path: str = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "cds-services":
        return parts[1]
    return None
