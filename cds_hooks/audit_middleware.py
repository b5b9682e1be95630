"""The ASGI middleware that times each hook call, writes its JSON log line, counts it and queues its audit row.

Kept apart from the store (`storage/audit.py`) and the writer thread (`storage/audit_writer.py`) so that
imports run one way: middleware → writer → store.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import metrics
from .audit import AuditDraft, AuditRecord
from .models import printable
from .public_url import app_path
from .services import REGISTRY
from .storage.audit_writer import AuditWriter

__all__ = ["AuditMiddleware"]

logger = logging.getLogger("cml_cds.hook")


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
            service_id=printable(service_id),  # from the path: any text a caller sends
            status_code=status,
            latency_ms=round(seconds * 1000, 2),
            hook_instance=draft.hook_instance,
            issuer=draft.issuer,
            patient_pseudonym=draft.patient_pseudonym,
            finding_codes=tuple(draft.finding_codes),
            knowledge_version=draft.knowledge_version,
            cards=tuple(draft.cards),
        )
        # a shallow copy (not dataclasses.asdict, which deep-copies): the fields are strings, numbers, tuples
        logger.info("hook call", extra={"audit": dict(vars(record))})
        label = service_id if service_id in REGISTRY else "unknown"
        metrics.child(metrics.HOOK_CALLS, label, str(status)).inc()
        metrics.child(metrics.HOOK_SECONDS, label).observe(seconds)
        for code in record.finding_codes:
            metrics.child(metrics.CARDS, label, code).inc()
        await self.writer.submit(record)


def _hook_call(scope: Scope) -> str | None:
    if scope["type"] != "http" or scope.get("method") != "POST":
        return None
    parts = app_path(scope).strip("/").split("/")
    if len(parts) == 2 and parts[0] == "cds-services":
        return parts[1]
    return None
