"""The audit trail: one row per hook call in the database beside the feedback, and one JSON log line.

What is recorded is what an operator needs to answer "who asked, what did we say, how fast, did it
fail" — hookInstance, service, issuer, the cards returned (uuid and finding code, so feedback can be
joined to findings), knowledge version, latency, status — and a patient pseudonym, never the patient id
or any clinical value. The row is written by an AuditWriter thread after the answer has gone out; the
log line is written at once.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import metrics
from .audit_writer import AuditWriter
from .database import Database, SqliteDatabase
from .services import REGISTRY

__all__ = ["AuditDraft", "AuditMiddleware", "AuditRecord", "AuditStore"]

logger = logging.getLogger("cml_cds.hook")

_COLUMNS = (
    "recorded_at, hook_instance, service_id, issuer, patient_pseudonym, finding_codes, knowledge_version,"
    " latency_ms, status_code, cards"
)


@dataclass
class AuditDraft:
    """Filled in by the route as it learns things; the middleware completes and stores it."""

    hook_instance: str | None = None
    issuer: str | None = None
    patient_pseudonym: str | None = None
    finding_codes: list[str] = field(default_factory=list)
    cards: list[tuple[str, str]] = field(default_factory=list)  # (card uuid, finding code)
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
    cards: tuple[tuple[str, str], ...] = ()
    recorded_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


class AuditStore:
    def __init__(self, database: Database | Path) -> None:
        """A Path opens (and owns) a SQLite file of its own; a Database is shared with the other stores."""
        self._owned = isinstance(database, Path)
        self.database: Database = SqliteDatabase(database) if isinstance(database, Path) else database

    def close(self) -> None:
        if self._owned:
            self.database.close()

    def add(self, record: AuditRecord) -> None:
        self.add_many([record])

    def add_many(self, records: list[AuditRecord]) -> None:
        """All in one transaction (the writer's batch): one commit, not one per hook call."""
        with self.database.transaction() as connection:
            for record in records:
                connection.execute(
                    f"INSERT INTO audit ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608 constant columns
                    (
                        record.recorded_at,
                        record.hook_instance,
                        record.service_id,
                        record.issuer,
                        record.patient_pseudonym,
                        json.dumps(list(record.finding_codes)),
                        record.knowledge_version,
                        record.latency_ms,
                        record.status_code,
                        json.dumps([list(card) for card in record.cards]),
                    ),
                )

    def all(self, since: str | None = None) -> list[dict[str, Any]]:
        """Rows in insertion order; `since` (ISO date or time) compares with recorded_at."""
        where, params = ("WHERE recorded_at >= ?", [since]) if since is not None else ("", [])
        with self.database.transaction() as connection:
            query = f"SELECT id, {_COLUMNS} FROM audit {where} ORDER BY id"  # noqa: S608 constants; values are bound
            rows = connection.execute(query, params).fetchall()
        names = ["id", *(name.strip() for name in _COLUMNS.split(","))]
        result = [dict(zip(names, row, strict=True)) for row in rows]
        for row in result:
            row["finding_codes"] = json.loads(row["finding_codes"])
            row["cards"] = [tuple(card) for card in json.loads(row["cards"])]
        return result


class AuditMiddleware:
    """Times every POST /cds-services/{id} (not feedback), then logs one line, counts it, and queues one row.

    Pure ASGI, so the status seen is the one sent, including 401/4xx answered by exception handlers.
    """

    def __init__(self, app: ASGIApp, writer: AuditWriter) -> None:
        self.app = app
        self.writer = writer

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
            await self._record(service_id, status, time.perf_counter() - started, draft)

    async def _record(self, service_id: str, status: int, seconds: float, draft: AuditDraft) -> None:
        record = AuditRecord(
            service_id=service_id,
            status_code=status,
            latency_ms=round(seconds * 1000, 2),
            hook_instance=draft.hook_instance,
            issuer=draft.issuer,
            patient_pseudonym=draft.patient_pseudonym,
            finding_codes=tuple(draft.finding_codes),
            knowledge_version=draft.knowledge_version,
            cards=tuple(draft.cards),
        )
        logger.info("hook call", extra={"audit": asdict(record)})
        label = service_id if service_id in REGISTRY else "unknown"
        metrics.HOOK_CALLS.labels(label, str(status)).inc()
        metrics.HOOK_SECONDS.labels(label).observe(seconds)
        for code in record.finding_codes:
            metrics.CARDS.labels(label, code).inc()
        await self.writer.submit(record)


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
