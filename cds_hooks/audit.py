"""The audit trail: one row per hook call in the database beside the feedback, and one JSON log line.

What is recorded is what an operator needs to answer "who asked, what did we say, how fast, did it
fail" — hookInstance, service, issuer, the cards returned (uuid and finding code, so feedback can be
joined to findings), knowledge version, latency, status — and a patient pseudonym, never the patient id
or any clinical value. The row is written by an AuditWriter thread after the answer has gone out
(`storage/audit_writer.py`, into the table of `storage/audit.py`); the log line is written at once by the
middleware (`audit_middleware.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["AuditDraft", "AuditRecord"]


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
