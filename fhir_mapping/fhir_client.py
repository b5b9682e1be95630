"""Reading the EHR's FHIR server when prefetch is missing: the interface the HTTP edge depends on.

The HTTP implementation lives beside this interface; tests substitute a real server (sekmet-fhir) or
respx for edge cases. The access token is passed through, never logged or stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["FhirReadError", "FhirReader"]


class FhirReadError(Exception):
    """A read from the FHIR server failed (status, timeout, malformed body): the message names the key."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


class FhirReader(Protocol):
    async def read(self, fhir_server: str, access_token: str | None, queries: Mapping[str, str]) -> dict[str, Any]:
        """Run each relative query (key → `Observation?patient=…`) and return key → Bundle or resource.

        Keys that failed are absent from the result and listed in the raised `FhirReadError`s… or,
        for partial success, returned as an OperationOutcome value.
        """
        ...
