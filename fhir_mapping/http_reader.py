"""`FhirReader` over httpx: the EHR's FHIR server, read when prefetch is missing.

All keys are read in parallel under one time budget; each request has its own timeout; `next` links are
followed up to a page limit, and only on the same server (a link elsewhere would carry the token away).
A key that fails (401/403, 5xx, timeout, a body that is not FHIR JSON, too many pages) comes back as an
OperationOutcome naming the reason, so the service can answer 412 for required data and say
"unavailable" for optional data. Search entries with `search.mode = "outcome"` are dropped.

The access token lives only in the request headers of one call: never logged, stored or repr'd.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

__all__ = ["FhirReadLimits", "HttpFhirReader", "outcome"]

FHIR_JSON = "application/fhir+json"


class FhirReadLimits(Protocol):
    """The settings the reader needs (cds_hooks.settings.Settings has them; fhir_mapping cannot import it)."""

    @property
    def fhir_timeout_seconds(self) -> float: ...
    @property
    def fhir_total_budget_seconds(self) -> float: ...
    @property
    def fhir_max_pages(self) -> int: ...


class _KeyFailed(Exception):
    pass


def outcome(key: str, reason: str) -> dict[str, Any]:
    """The value a failed key gets: an OperationOutcome, which prefetch resolution treats as missing."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "exception", "diagnostics": f"{key}: {reason}"}],
    }


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class HttpFhirReader:
    def __init__(self, limits: FhirReadLimits, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._timeout = limits.fhir_timeout_seconds
        self._budget = limits.fhir_total_budget_seconds
        self._max_pages = limits.fhir_max_pages
        self._transport = transport

    def __repr__(self) -> str:
        return f"HttpFhirReader(timeout={self._timeout}, budget={self._budget}, max_pages={self._max_pages})"

    async def read(self, fhir_server: str, access_token: str | None, queries: Mapping[str, str]) -> dict[str, Any]:
        """Key → Bundle or resource; a key that failed → OperationOutcome with the reason."""
        headers = {"Accept": FHIR_JSON}
        if access_token:
            headers["Authorization"] = f"Bearer {access_token}"
        base = fhir_server.rstrip("/")
        async with httpx.AsyncClient(
            headers=headers, timeout=self._timeout, transport=self._transport, follow_redirects=False
        ) as client:
            tasks = {key: asyncio.create_task(self._read_key(client, base, query)) for key, query in queries.items()}
            await asyncio.wait(tasks.values(), timeout=self._budget)
            results: dict[str, Any] = {}
            for key, task in tasks.items():
                if not task.done():
                    task.cancel()
                    results[key] = outcome(key, f"not read within the {self._budget:g} s budget")
                elif isinstance(task.exception(), _KeyFailed):
                    results[key] = outcome(key, str(task.exception()))
                elif task.exception() is not None:
                    results[key] = outcome(key, f"read failed ({type(task.exception()).__name__})")
                else:
                    results[key] = task.result()
            await asyncio.gather(*tasks.values(), return_exceptions=True)
        return results

    async def _get(self, client: httpx.AsyncClient, url: str) -> dict[str, Any]:
        try:
            response = await client.get(url)
        except httpx.TimeoutException as exc:
            raise _KeyFailed(f"timed out after {self._timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise _KeyFailed(f"request failed ({type(exc).__name__})") from exc
        if response.status_code in (401, 403):
            raise _KeyFailed(f"not authorised (HTTP {response.status_code})")
        if not response.is_success:
            raise _KeyFailed(f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise _KeyFailed("body is not JSON") from exc
        if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
            raise _KeyFailed("body is not a FHIR resource")
        if body["resourceType"] == "OperationOutcome":
            raise _KeyFailed("the server answered with an OperationOutcome")
        return body

    async def _read_key(self, client: httpx.AsyncClient, base: str, query: str) -> dict[str, Any]:
        url: str | None = f"{base}/{query.lstrip('/')}"
        first: dict[str, Any] | None = None
        entries: list[Any] = []
        pages = 0
        while url is not None:
            if pages == self._max_pages:
                raise _KeyFailed(f"more than {self._max_pages} pages")
            if _origin(url) != _origin(base):
                raise _KeyFailed("a paging link points to another server")
            body = await self._get(client, url)
            pages += 1
            if body["resourceType"] != "Bundle":
                return body
            first = first or body
            for entry in body.get("entry") or []:
                if isinstance(entry, dict) and (entry.get("search") or {}).get("mode") != "outcome":
                    entries.append(entry)
            links = body.get("link") or []
            url = next((lk.get("url") for lk in links if isinstance(lk, dict) and lk.get("relation") == "next"), None)
        assert first is not None  # noqa: S101 - the loop ran at least once
        return {"resourceType": "Bundle", "type": first.get("type", "searchset"), "entry": entries}
