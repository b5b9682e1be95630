"""SMART App Launch 2.0 for a public client, on Authlib's httpx OAuth 2.0 client.

EHR launch (`iss` + `launch`) and standalone launch (`iss` only, scope `launch/patient`). Endpoints come
from `{iss}/.well-known/smart-configuration`; the authorization request carries PKCE S256, a random
`state` and `aud` = `iss`; the token request sends the `code_verifier` and Authlib checks `state` again
against the redirect. The iss has been checked against `smart_clients` before anything here runs.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

with warnings.catch_warnings():  # Authlib 1.9 nudges towards httpx2; the service uses httpx throughout
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

from cds_hooks.services.cml_tki_resistance import PREFETCH_KEYS

from .sessions import Authorised, Pending

__all__ = [
    "LaunchError",
    "SmartConfigurations",
    "SmartEndpoints",
    "authorization_url",
    "discover",
    "exchange_code",
    "scope_for",
]

#: What the page reads: the resource types of the patient-view prefetch queries, read-and-search only.
_RESOURCES = sorted({key.template.split("?")[0].split("/")[0] for key in PREFETCH_KEYS})
_READ_SCOPES = " ".join(f"patient/{kind}.rs" for kind in _RESOURCES)
_MAX_CONFIG_BYTES = 64 * 1024


class LaunchError(Exception):
    """The launch cannot go on; the message is safe to show (no token, no code)."""


@dataclass(frozen=True)
class SmartEndpoints:
    authorization: str
    token: str


def scope_for(ehr_launch: bool) -> str:
    """EHR launch asks for `launch`; a standalone launch asks the server to pick a patient (`launch/patient`)."""
    return ("launch " if ehr_launch else "launch/patient ") + _READ_SCOPES


async def discover(iss: str, timeout: float, transport: httpx.AsyncBaseTransport | None = None) -> SmartEndpoints:
    """Read the EHR's SMART configuration (a configured iss only)."""
    url = iss.rstrip("/") + "/.well-known/smart-configuration"
    try:
        async with httpx.AsyncClient(timeout=timeout, transport=transport, follow_redirects=False) as client:
            response = await client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise LaunchError(f"the EHR's SMART configuration could not be read ({type(exc).__name__})") from exc
    if response.status_code != 200 or len(response.content) > _MAX_CONFIG_BYTES:
        raise LaunchError(f"the EHR's SMART configuration answered HTTP {response.status_code}")
    try:
        config = response.json()
    except ValueError as exc:
        raise LaunchError("the EHR's SMART configuration is not JSON") from exc
    authorize = config.get("authorization_endpoint") if isinstance(config, dict) else None
    token = config.get("token_endpoint") if isinstance(config, dict) else None
    if not isinstance(authorize, str) or not isinstance(token, str):
        raise LaunchError("the EHR's SMART configuration names no authorization and token endpoints")
    methods = config.get("code_challenge_methods_supported")
    if isinstance(methods, list) and methods and "S256" not in methods:
        raise LaunchError("the EHR's authorization server does not offer PKCE S256")
    return SmartEndpoints(authorization=authorize, token=token)


class SmartConfigurations:
    """The EHR's SMART configuration per `iss`, reused for `ttl` seconds (per process).

    A launch needs the authorization and token endpoints; reading them for every launch would let a flood
    of anonymous launches hammer the EHR. Only a configured `iss` reaches here (the launch checks
    `smart_clients` first), so the cache holds at most one entry per configured EHR. One read at a time per
    `iss`: concurrent launches wait for it instead of each reading. A failed read is not cached.
    """

    def __init__(self, ttl: float, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.ttl = ttl
        self.reads = 0
        self._transport = transport
        self._cache: dict[str, tuple[float, SmartEndpoints]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def endpoints(self, iss: str, timeout: float) -> SmartEndpoints:
        cached = self._fresh(iss)
        if cached is not None:
            return cached
        lock = self._locks.setdefault(iss, asyncio.Lock())
        async with lock:
            cached = self._fresh(iss)
            if cached is not None:
                return cached
            self.reads += 1
            endpoints = await discover(iss, timeout, self._transport)
            if self.ttl > 0:
                self._cache[iss] = (time.monotonic() + self.ttl, endpoints)
            return endpoints

    def _fresh(self, iss: str) -> SmartEndpoints | None:
        entry = self._cache.get(iss)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None


def _client(client_id: str, redirect_uri: str, timeout: float, scope: str | None = None) -> Any:
    return AsyncOAuth2Client(
        client_id=client_id,
        token_endpoint_auth_method="none",  # noqa: S106 - a public client: no secret, PKCE instead
        redirect_uri=redirect_uri,
        scope=scope,
        code_challenge_method="S256",
        timeout=timeout,
        follow_redirects=False,
    )


def authorization_url(
    *, iss: str, client_id: str, redirect_uri: str, endpoints: SmartEndpoints, launch: str | None, timeout: float
) -> tuple[str, Pending]:
    """The URL to send the browser to, and what the callback needs to finish (state, PKCE verifier).

    Built with Authlib's own parameter functions, not an OAuth client: a client is an httpx client, whose TLS
    context costs ~70 ms of CPU to build, and a launch sends no request — so an anonymous launch stays cheap.
    """
    verifier = generate_token(64)
    state = generate_token(30)
    extra: dict[str, str] = {"aud": iss}
    if launch:
        extra["launch"] = launch
    url = prepare_grant_uri(
        endpoints.authorization,
        client_id=client_id,
        response_type="code",
        redirect_uri=redirect_uri,
        scope=scope_for(ehr_launch=bool(launch)),
        state=state,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
        **extra,
    )
    pending = Pending(
        iss=iss,
        client_id=client_id,
        state=state,
        code_verifier=verifier,
        token_endpoint=endpoints.token,
        redirect_uri=redirect_uri,
    )
    return str(url), pending


async def exchange_code(pending: Pending, callback_url: str, timeout: float) -> Authorised:
    """Check `state` and trade the code (with the PKCE verifier) for the access token and patient context."""
    async with _client(pending.client_id, pending.redirect_uri, timeout) as client:
        try:
            token = await client.fetch_token(
                pending.token_endpoint,
                authorization_response=callback_url,
                state=pending.state,
                code_verifier=pending.code_verifier,
            )
        except AuthlibBaseError as exc:
            raise LaunchError(f"the authorization server refused the launch ({exc.error})") from exc
        except httpx.HTTPError as exc:
            raise LaunchError(f"the token request failed ({type(exc).__name__})") from exc
    access_token = token.get("access_token")
    patient = token.get("patient")
    if not isinstance(access_token, str) or not access_token:
        raise LaunchError("the authorization server returned no access token")
    if not isinstance(patient, str) or not patient:
        raise LaunchError("the launch has no patient in context (the token response names none)")
    expires_in = token.get("expires_in")
    lifetime = float(expires_in) if isinstance(expires_in, int | float) and expires_in > 0 else 300.0
    return Authorised(
        iss=pending.iss,
        patient=patient,
        access_token=access_token,
        expires_at=time.time() + lifetime,
        scope=str(token.get("scope") or ""),
    )
