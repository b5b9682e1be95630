"""Trusting CDS clients (CDS Hooks 2.0 §Trusting CDS Clients): signed JWTs, JWK Sets, replay, fhirServer."""

from __future__ import annotations

from ..storage.replay import JtiStore
from .dependency import ClientDep, authenticate_request, bearer_scheme
from .fhir_servers import FhirServerPolicy, GuardedFhirReader, UntrustedFhirServer
from .jwks import HttpxJwksFetcher, JwksError, JwksFetcher, KeyCache
from .verifier import AuthFailure, TokenVerifier, VerifiedClient

__all__ = [
    "AuthFailure",
    "ClientDep",
    "FhirServerPolicy",
    "GuardedFhirReader",
    "HttpxJwksFetcher",
    "JtiStore",
    "JwksError",
    "JwksFetcher",
    "KeyCache",
    "TokenVerifier",
    "UntrustedFhirServer",
    "VerifiedClient",
    "authenticate_request",
    "bearer_scheme",
]
