"""Errors the HTTP edge answers with, each rendered as a FHIR OperationOutcome.

CdsError                      base: status code + OperationOutcome issue code
├── BadRequest         400    malformed JSON, not a CDS Hooks request, wrong hook
├── Unauthorized       401    authentication failed (no details in the body)
├── NotFound           404    unknown CDS service
├── RequestTimeout     408    the body did not arrive within the body-read timeout
├── PreconditionFailed 412    required FHIR data neither prefetched nor readable (CDS Hooks §412)
├── PayloadTooLarge    413    body over the configured size limit
├── UnsupportedMediaType 415  a body that is not JSON
├── ClientGone         499    the client left (mid-body, or while its call was computed): nobody reads the answer
├── Overloaded         503    too many calls in progress and waiting on this worker (with `Retry-After`)
└── DeadlineExceeded   503    the call's synchronous work ran past `call_deadline_seconds`
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BadRequest",
    "CdsError",
    "ClientGone",
    "DeadlineExceeded",
    "NotFound",
    "Overloaded",
    "PayloadTooLarge",
    "PreconditionFailed",
    "RequestTimeout",
    "Unauthorized",
    "UnsupportedMediaType",
    "operation_outcome",
]


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> dict[str, Any]:
    """A FHIR R4 OperationOutcome with one issue."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


class CdsError(Exception):
    status_code = 500
    issue_code = "exception"

    def __init__(self, diagnostics: str) -> None:
        super().__init__(diagnostics)
        self.diagnostics = diagnostics

    def outcome(self) -> dict[str, Any]:
        return operation_outcome(self.issue_code, self.diagnostics)

    def headers(self) -> dict[str, str] | None:
        """Response headers the error needs besides its body."""
        return None


class BadRequest(CdsError):
    status_code = 400
    issue_code = "invalid"


class Unauthorized(CdsError):
    status_code = 401
    issue_code = "login"


class NotFound(CdsError):
    status_code = 404
    issue_code = "not-found"


class PreconditionFailed(CdsError):
    status_code = 412
    issue_code = "incomplete"


class PayloadTooLarge(CdsError):
    status_code = 413
    issue_code = "too-costly"


class UnsupportedMediaType(CdsError):
    status_code = 415
    issue_code = "not-supported"


class RequestTimeout(CdsError):
    status_code = 408
    issue_code = "timeout"


class ClientGone(CdsError):
    """The client closed the connection before its answer (mid-body, or while the call was computed)."""

    status_code = 499
    issue_code = "incomplete"


class Overloaded(CdsError):
    """Load shed: the worker has as many calls in progress and waiting as it takes; retry after a moment."""

    status_code = 503
    issue_code = "throttled"

    def __init__(self, diagnostics: str, retry_after: int) -> None:
        super().__init__(diagnostics)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after)}


class DeadlineExceeded(CdsError):
    """The call's synchronous work did not finish within `call_deadline_seconds`; its remaining work stopped."""

    status_code = 503
    issue_code = "timeout"
