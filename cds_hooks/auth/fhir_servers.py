"""Which `fhirServer` the service may read, enforced in front of the FhirReader so nothing else can connect.

A hook request hands the service a URL and a bearer access token; following any URL a client names would
make the service an SSRF relay and could send the token somewhere it was never meant to go. So a read
goes only to a base URL on the calling issuer's allow-list (`fhir_servers`). In development with
authentication off there is no issuer, and any http(s) URL is allowed (never file:, gopher:, …);
production refuses plain http.

Status: 412 Precondition Failed (issue code `security`). CDS Hooks 2.0 gives 412 for "the data the service
needs cannot be had", which is what the EHR sees: a 403 would suggest the *client* is not authorised,
while the client is authenticated and only its fhirServer is not one the service will contact. The check
runs only when a read is needed: a request whose prefetch is complete never touches fhirServer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fhir_mapping.fhir_client import FhirReader

from ..errors import PreconditionFailed
from .verifier import VerifiedClient

__all__ = ["FhirServerPolicy", "GuardedFhirReader", "UntrustedFhirServer"]


class UntrustedFhirServer(PreconditionFailed):
    issue_code = "security"


@dataclass(frozen=True)
class FhirServerPolicy:
    production: bool
    client: VerifiedClient | None

    def refusal(self, fhir_server: str) -> str | None:
        """Why this fhirServer must not be read, or None when it may."""
        parts = urlsplit(fhir_server)
        schemes = {"https"} if self.production else {"http", "https"}
        if parts.scheme not in schemes or not parts.netloc:
            return f"fhirServer scheme '{parts.scheme}' is not allowed"
        if parts.username or parts.password:
            return "fhirServer must not carry credentials"
        if self.client is not None and not self.client.issuer.fhir_server_allowed(fhir_server):
            return "fhirServer is not on this client's allow-list"
        if self.client is None and self.production:
            return "fhirServer reads need an authenticated client in production"
        return None


class GuardedFhirReader:
    """A FhirReader that checks the policy, then delegates; the only reader a route hands to a service."""

    def __init__(self, inner: FhirReader, policy: FhirServerPolicy) -> None:
        self.inner = inner
        self.policy = policy

    async def read(self, fhir_server: str, access_token: str | None, queries: Mapping[str, str]) -> dict[str, Any]:
        reason = self.policy.refusal(fhir_server)
        if reason is not None:
            raise UntrustedFhirServer(f"{reason}; the service did not contact it")
        return await self.inner.read(fhir_server, access_token, queries)
