"""`FhirReader` over httpx: the EHR's FHIR server, read when prefetch is missing.

All keys are read in parallel under one time budget; each request has its own timeout; `next` links are
followed up to a page limit, and only on the same server (a link elsewhere would carry the token away).
A key that fails (401/403, 5xx, timeout, a body that is not FHIR JSON, too many pages) comes back as an
OperationOutcome naming the reason, so the service can answer 412 for required data and say
"unavailable" for optional data. Search entries with `search.mode = "outcome"` are dropped.

Bounded: a body is streamed and dropped as soon as it passes the byte cap per response or the cap for the
whole call (all keys together), so a server answering 200 MB costs at most the cap in memory; a key with
more entries than the entry cap fails. Every URL stays under the `fhirServer` base path: a query or a
`next` link whose (dot-segment normalised) path leaves it is refused before anything is sent.

The access token lives only in the request headers of one call: never logged, stored or repr'd.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Mapping
from typing import Any, Protocol

import httpx
from anyio import to_thread

__all__ = [
    "DEFAULT_MAX_CALL_BYTES",
    "DEFAULT_MAX_ENTRIES",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "FhirReadLimits",
    "HttpFhirReader",
    "outcome",
]

FHIR_JSON = "application/fhir+json"
#: Defaults when the limits object does not name them (cds_hooks.settings does).
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_CALL_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_ENTRIES = 10_000
#: Encodings the reader inflates itself, with bounded output (zlib wbits: gzip, zlib-wrapped deflate).
_ENCODINGS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS, "identity": 0}


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


class _Budget:
    """Bytes read so far in one call, across all keys (the per-call cap)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0


def _inside(url: httpx.URL, base: httpx.URL) -> bool:
    """Same scheme, host and port as the base, and a path under the base path (after `..` is resolved)."""
    if (url.scheme, url.host, url.port) != (base.scheme, base.host, base.port) or url.userinfo:
        return False
    segments = url.path.split("/")
    if ".." in segments or "." in segments:
        return False
    root = base.path.rstrip("/") + "/"
    return url.path.startswith(root)


class HttpFhirReader:
    def __init__(self, limits: FhirReadLimits, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._timeout = limits.fhir_timeout_seconds
        self._budget = limits.fhir_total_budget_seconds
        self._max_pages = limits.fhir_max_pages
        self._max_response = int(getattr(limits, "fhir_max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES))
        self._max_call = int(getattr(limits, "fhir_max_call_bytes", DEFAULT_MAX_CALL_BYTES))
        self._max_entries = int(getattr(limits, "fhir_max_entries_per_key", DEFAULT_MAX_ENTRIES))
        self._transport = transport

    def __repr__(self) -> str:
        return f"HttpFhirReader(timeout={self._timeout}, budget={self._budget}, max_pages={self._max_pages})"

    async def read(self, fhir_server: str, access_token: str | None, queries: Mapping[str, str]) -> dict[str, Any]:
        """Key → Bundle or resource; a key that failed → OperationOutcome with the reason."""
        headers = {"Accept": FHIR_JSON, "Accept-Encoding": ", ".join(_ENCODINGS)}
        if access_token:
            headers["Authorization"] = f"Bearer {access_token}"
        base = fhir_server.rstrip("/")
        budget = _Budget(self._max_call)
        async with httpx.AsyncClient(
            headers=headers, timeout=self._timeout, transport=self._transport, follow_redirects=False
        ) as client:
            tasks = {
                key: asyncio.create_task(self._read_key(client, base, query, budget)) for key, query in queries.items()
            }
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

    async def _get(self, client: httpx.AsyncClient, url: httpx.URL, budget: _Budget) -> dict[str, Any]:
        try:
            async with client.stream("GET", url) as response:
                if response.status_code in (401, 403):
                    raise _KeyFailed(f"not authorised (HTTP {response.status_code})")
                if not response.is_success:
                    raise _KeyFailed(f"HTTP {response.status_code}")
                content = await self._body(response, budget)
        except httpx.TimeoutException as exc:
            raise _KeyFailed(f"timed out after {self._timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise _KeyFailed(f"request failed ({type(exc).__name__})") from exc
        try:  # parsing megabytes would hold the event loop: other callers must not wait for it
            body = await to_thread.run_sync(json.loads, content)
        except (ValueError, RecursionError) as exc:
            raise _KeyFailed("body is not JSON") from exc
        finally:
            del content
        if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
            raise _KeyFailed("body is not a FHIR resource")
        if body["resourceType"] == "OperationOutcome":
            raise _KeyFailed("the server answered with an OperationOutcome")
        return body

    async def _body(self, response: httpx.Response, budget: _Budget) -> bytes:
        """The body, read chunk by chunk and dropped as soon as it passes a cap.

        Compressed bodies are inflated here, at most up to the cap, never by httpx: its decoder inflates a
        whole network chunk at once, and 64 KiB of gzip can be 64 MiB of JSON.
        """
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in _ENCODINGS:
            raise _KeyFailed(f"content-encoding '{encoding[:40]}' not accepted")
        declared = response.headers.get("content-length", "")
        if encoding == "identity" and declared.isdigit() and int(declared) > self._max_response:
            raise _KeyFailed(f"response of {declared} bytes is over the {self._max_response} byte limit")
        inflate = None if encoding == "identity" else zlib.decompressobj(_ENCODINGS[encoding])
        content = bytearray()
        chunks = response.aiter_bytes() if inflate is None else response.aiter_raw()  # identity: same bytes
        async for raw in chunks:
            pending = raw
            while pending:
                if inflate is None:
                    chunk, pending = pending, b""
                else:  # inflate no more than one byte past the cap: the rest is never produced
                    chunk = inflate.decompress(pending, self._max_response - len(content) + 1)
                    pending = inflate.unconsumed_tail
                content += chunk
                budget.used += len(chunk)
                if len(content) > self._max_response:
                    raise _KeyFailed(f"response over the {self._max_response} byte limit")
                if budget.used > budget.limit:
                    raise _KeyFailed(f"FHIR reads of this call over the {budget.limit} byte limit")
        if inflate is not None:
            content += inflate.flush()
            if len(content) > self._max_response:
                raise _KeyFailed(f"response over the {self._max_response} byte limit")
        return bytes(content)

    async def _read_key(self, client: httpx.AsyncClient, base: str, query: str, budget: _Budget) -> dict[str, Any]:
        root = httpx.URL(base + "/")
        url: httpx.URL | None = httpx.URL(f"{base}/{query.lstrip('/')}")
        first: dict[str, Any] | None = None
        entries: list[Any] = []
        pages = 0
        while url is not None:
            if pages == self._max_pages:
                raise _KeyFailed(f"more than {self._max_pages} pages")
            if not _inside(url, root):
                raise _KeyFailed("a URL points outside the fhirServer base (another server or path)")
            body = await self._get(client, url, budget)
            pages += 1
            if body["resourceType"] != "Bundle":
                return body
            first = first or body
            page = body.get("entry") or []
            if not isinstance(page, list):
                raise _KeyFailed("Bundle.entry is not a list")
            for entry in page:
                if isinstance(entry, dict) and (entry.get("search") or {}).get("mode") != "outcome":
                    entries.append(entry)
            if len(entries) > self._max_entries:
                raise _KeyFailed(f"more than {self._max_entries} entries")
            links = body.get("link") or []
            link = next((lk.get("url") for lk in links if isinstance(lk, dict) and lk.get("relation") == "next"), None)
            url = _next_url(link, url)
        assert first is not None  # noqa: S101 - the loop ran at least once
        return {"resourceType": "Bundle", "type": first.get("type", "searchset"), "entry": entries}


def _next_url(link: Any, current: httpx.URL) -> httpx.URL | None:
    if link is None:
        return None
    if not isinstance(link, str):
        raise _KeyFailed("a paging link is not a URL")
    try:
        return current.join(link)
    except httpx.InvalidURL as exc:
        raise _KeyFailed("a paging link is not a URL") from exc
