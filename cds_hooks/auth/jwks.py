"""JWK Sets: fetched with httpx behind a small interface, cached by URL and `kid`, refreshed sparingly.

An unknown `kid` refetches the set (the client rotated its keys) but at most once per
`min_refresh_seconds` per URL, so a stream of forged tokens with random `kid`s cannot turn the service
into a traffic amplifier against the issuer. Only public signature keys are kept: a symmetric (`oct`)
key or one marked for encryption is never a CDS client's signing key.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

__all__ = ["HttpxJwksFetcher", "JwksError", "JwksFetcher", "KeyCache"]

Jwk = dict[str, Any]


class JwksError(Exception):
    """A JWK Set could not be had (network, status, size, not a JWK Set)."""


class JwksFetcher(Protocol):
    async def fetch(self, url: str) -> dict[str, Any]:
        """Download the JWK Set at `url` and return it as a JSON object; raise JwksError otherwise."""
        ...


class HttpxJwksFetcher:
    """GET a JWK Set with httpx: no redirects (the allow-list names the URL, not where it points), a size cap."""

    def __init__(self, timeout_seconds: float, max_bytes: int) -> None:
        self.timeout_seconds = timeout_seconds
        self.max_bytes = max_bytes

    async def fetch(self, url: str) -> dict[str, Any]:
        try:
            async with (
                httpx.AsyncClient(timeout=self.timeout_seconds, follow_redirects=False) as client,
                client.stream("GET", url, headers={"Accept": "application/json"}) as response,
            ):
                if response.status_code != 200:
                    raise JwksError(f"JWK Set {url}: HTTP {response.status_code}")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body.extend(chunk)
                    if len(body) > self.max_bytes:
                        raise JwksError(f"JWK Set {url}: over {self.max_bytes} bytes")
        except httpx.HTTPError as exc:
            raise JwksError(f"JWK Set {url}: {type(exc).__name__}") from exc
        try:
            document = json.loads(bytes(body))
        except ValueError as exc:
            raise JwksError(f"JWK Set {url}: not JSON") from exc
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise JwksError(f"JWK Set {url}: no 'keys' list")
        return document


def signing_keys(document: dict[str, Any]) -> dict[str, Jwk]:
    """kid → public signature JWK; keys without a kid, symmetric, private or for encryption are dropped."""
    keys: dict[str, Jwk] = {}
    for jwk in document.get("keys", []):
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
            continue
        if jwk.get("kty") not in {"RSA", "EC"} or jwk.get("use", "sig") != "sig" or "d" in jwk:
            continue
        keys.setdefault(jwk["kid"], jwk)
    return keys


@dataclass
class _Entry:
    keys: dict[str, Jwk] = field(default_factory=dict)
    fetched_at: float | None = None
    attempted_at: float | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class KeyCache:
    """Keys by (JWK Set URL, kid); a set is fetched when first needed, when stale, or for an unknown kid."""

    def __init__(
        self,
        fetcher: JwksFetcher,
        *,
        cache_seconds: float,
        min_refresh_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fetcher = fetcher
        self.cache_seconds = cache_seconds
        self.min_refresh_seconds = min_refresh_seconds
        self.clock = clock
        self._entries: dict[str, _Entry] = {}

    async def key(self, url: str, kid: str) -> Jwk | None:
        """The JWK with this kid at this URL, or None; raises JwksError only when nothing usable is cached."""
        entry = self._entries.setdefault(url, _Entry())
        async with entry.lock:
            now = self.clock()
            stale = entry.fetched_at is None or now - entry.fetched_at > self.cache_seconds
            unknown = kid not in entry.keys
            may_retry = entry.attempted_at is None or now - entry.attempted_at >= self.min_refresh_seconds
            if (stale or unknown) and may_retry:
                entry.attempted_at = now
                try:
                    entry.keys = signing_keys(await self.fetcher.fetch(url))
                    entry.fetched_at = now
                except JwksError:
                    if entry.fetched_at is None:
                        raise
            return entry.keys.get(kid)
