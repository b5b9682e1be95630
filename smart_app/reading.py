"""Read the patient in context from the EHR's FHIR server with the app's own access token.

The queries are the patient-view prefetch templates of the CDS service, so the app and the cards see
the same records. A required query that fails stops the page with a reason a clinician can act on:
no access (401/403: the token does not cover these records) or unreachable (timeout, network, 5xx).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from cds_hooks.prefetch import fill_template
from cds_hooks.services.cml_tki_resistance import PREFETCH_KEYS
from cds_hooks.services.pipeline import Resolved
from fhir_mapping.fhir_client import FhirReader, FhirReadError
from tki_resistance.model import Exclusion

__all__ = ["ReadProblem", "read_patient"]

Problem = Literal["no-access", "unreachable"]


class ReadProblem(Exception):
    def __init__(self, kind: Problem, detail: str) -> None:
        super().__init__(detail)
        self.kind: Problem = kind
        self.detail = detail


def _failure(value: Any) -> str | None:
    """The reason a key failed (the reader's OperationOutcome), or None when it was read."""
    if not isinstance(value, dict) or value.get("resourceType") == "OperationOutcome":
        issues = value.get("issue") if isinstance(value, dict) else None
        first = issues[0] if isinstance(issues, list) and issues and isinstance(issues[0], dict) else {}
        return str(first.get("diagnostics") or "not read")
    return None


async def read_patient(reader: FhirReader, iss: str, access_token: str, patient: str) -> Resolved:
    """The data as a hook call resolves it (`pipeline.Resolved`): what could be read, the optional kinds of
    data that could not, and why (as exclusions, which the page lists like the cards do)."""
    queries: Mapping[str, str] = {k.key: fill_template(k.template, {"patientId": patient}) for k in PREFETCH_KEYS}
    try:
        data = await reader.read(iss, access_token, queries)
    except FhirReadError as exc:
        raise ReadProblem("unreachable", exc.reason) from exc
    failures = {key.key: reason for key in PREFETCH_KEYS if (reason := _failure(data.get(key.key))) is not None}
    required = [key for key in PREFETCH_KEYS if key.required and key.key in failures]
    if required:
        reasons = "; ".join(failures[key.key] for key in required)
        kind: Problem = "no-access" if "not authorised" in reasons else "unreachable"
        raise ReadProblem(kind, reasons)
    return Resolved(
        prefetch={key: value for key, value in data.items() if key not in failures},
        unavailable=tuple(key.description for key in PREFETCH_KEYS if key.key in failures),
        excluded=tuple(Exclusion(f"prefetch {key}", reason) for key, reason in failures.items()),
    )
