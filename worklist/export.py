"""A FHIR Bulk Data `$export` client (Bulk Data Access IG v2): kick-off, status polling, file download.

1. Kick-off: `GET [base]/$export` (system level) or `[base]/Group/[id]/$export`, with `Accept:
   application/fhir+json`, `Prefer: respond-async` and `_type` = the types the mapping reads; the server
   answers `202 Accepted` with the status URL in `Content-Location`.
2. Status: `GET` the status URL until `200 OK` with the manifest; `202` (with `X-Progress`) and `429` mean
   "not yet": wait `Retry-After` (seconds or an HTTP date; capped), else back off exponentially. A `5xx` whose
   OperationOutcome says `transient` is retried too; any other error ends the export with its diagnostics.
3. Download: every `output` file (`Accept: application/fhir+ndjson`), streamed to disk, with the access
   token only when the manifest says `requiresAccessToken`; the `error` files (OperationOutcome NDJSON) are
   downloaded beside them and counted.
4. `DELETE` the status URL: the server may then remove the files.

The token comes from SMART Backend Services (smart.py) when a client id and key are given; a static bearer
token is accepted for servers that issue one out of band. Nothing is sent anywhere but the FHIR server and
its token endpoint.
"""

from __future__ import annotations

import contextlib
import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from fhir_mapping.snapshot import READ_TYPE_ORDER

__all__ = ["EXPORT_TYPES", "BearerToken", "ExportError", "ExportResult", "kickoff_url", "run_export"]

#: What the worklist reads (what the mapping reads); `_type` asks for nothing else.
EXPORT_TYPES = READ_TYPE_ORDER
FHIR_JSON = "application/fhir+json"
NDJSON = "application/fhir+ndjson"
MAX_WAIT = 120.0  # the longest single wait, whatever Retry-After says


class ExportError(Exception):
    """The export failed; the message is safe to print (no token)."""


@dataclass
class ExportResult:
    folder: Path
    files: list[Path] = field(default_factory=list)
    error_files: list[Path] = field(default_factory=list)
    transaction_time: str = ""
    polls: int = 0
    progress: list[str] = field(default_factory=list)


def _retry_after(response: httpx.Response, default: float) -> float:
    value = response.headers.get("Retry-After")
    if not value:
        return default
    if value.strip().isdigit():
        return min(float(value), MAX_WAIT)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max((when - datetime.now(UTC)).total_seconds(), 0.0), MAX_WAIT)


def _diagnostics(response: httpx.Response) -> tuple[str, bool]:
    """(what the OperationOutcome says, whether it calls the error transient)."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}", False
    issues = body.get("issue") if isinstance(body, dict) else None
    if not isinstance(issues, list):
        return f"HTTP {response.status_code}", False
    texts = [str(i.get("diagnostics") or i.get("code")) for i in issues if isinstance(i, dict)]
    transient = any(isinstance(i, dict) and i.get("code") == "transient" for i in issues)
    return f"HTTP {response.status_code}: " + "; ".join(texts), transient


def kickoff_url(base_url: str, group: str | None) -> str:
    base = base_url.rstrip("/")
    return f"{base}/Group/{group}/$export" if group else f"{base}/$export"


def run_export(
    client: httpx.Client,
    base_url: str,
    folder: Path,
    *,
    group: str | None = None,
    since: str | None = None,
    timeout: float = 3600.0,
    sleep: Callable[[float], None] = time.sleep,
    on_progress: Callable[[str], None] | None = None,
) -> ExportResult:
    """Kick off, poll, download into `folder`; `client` carries the token (Authlib's OAuth2Client) or none."""
    folder.mkdir(parents=True, exist_ok=True)
    params: dict[str, str] = {"_type": ",".join(EXPORT_TYPES)}
    if since:
        params["_since"] = since
    url = kickoff_url(base_url, group)
    response = client.get(url, params=params, headers={"Accept": FHIR_JSON, "Prefer": "respond-async"})
    if response.status_code != 202:
        raise ExportError(f"kick-off {url} refused: {_diagnostics(response)[0]}")
    status_url = response.headers.get("Content-Location")
    if not status_url:
        raise ExportError("kick-off answered 202 without a Content-Location (status URL)")
    result = ExportResult(folder)
    manifest = _poll(client, status_url, timeout, sleep, result, on_progress)
    result.transaction_time = str(manifest.get("transactionTime", ""))
    token = bool(manifest.get("requiresAccessToken", True))
    outputs = manifest.get("output") or []
    errors = manifest.get("error") or []
    if not isinstance(outputs, list) or not isinstance(errors, list):
        raise ExportError("the manifest's output/error are not lists")
    for number, item in enumerate(outputs, 1):
        result.files.append(_download(client, item, folder / f"{number:04d}.{_kind(item)}.ndjson", token))
    for number, item in enumerate(errors, 1):
        result.error_files.append(_download(client, item, folder / "errors" / f"{number:04d}.ndjson", token))
    with contextlib.suppress(httpx.HTTPError):  # the server may now delete the files; nothing depends on it
        client.delete(status_url)
    return result


def _kind(item: Any) -> str:
    kind = item.get("type") if isinstance(item, dict) else None
    return kind if isinstance(kind, str) and kind.isalpha() else "Resource"


def _poll(
    client: httpx.Client,
    status_url: str,
    timeout: float,
    sleep: Callable[[float], None],
    result: ExportResult,
    on_progress: Callable[[str], None] | None,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    backoff = 1.0
    while True:
        response = client.get(status_url, headers={"Accept": "application/json"})
        result.polls += 1
        if response.status_code == 200:
            manifest = response.json()
            if not isinstance(manifest, dict):
                raise ExportError("the status endpoint's manifest is not a JSON object")
            return manifest
        if response.status_code in (202, 429):
            progress = response.headers.get("X-Progress", "in progress")
            result.progress.append(progress)
            if on_progress is not None:
                on_progress(progress)
            wait = _retry_after(response, backoff)
        elif response.status_code >= 500 and _diagnostics(response)[1]:
            wait = _retry_after(response, backoff)
        else:
            raise ExportError(f"export failed: {_diagnostics(response)[0]}")
        if time.monotonic() + wait > deadline:
            raise ExportError(f"export not complete after {timeout:.0f} s (last progress: {result.progress[-1:]})")
        sleep(wait)
        backoff = min(backoff * 2, MAX_WAIT)


def _download(client: httpx.Client, item: Any, path: Path, with_token: bool) -> Path:
    url = item.get("url") if isinstance(item, dict) else None
    if not isinstance(url, str):
        raise ExportError("a manifest entry has no url")
    path.parent.mkdir(parents=True, exist_ok=True)
    extra: dict[str, Any] = {}
    if not with_token:  # a file that needs no token (e.g. a signed storage URL) gets none
        extra = {"withhold_token": True} if _is_oauth(client) else {"auth": None}
    with client.stream("GET", url, headers={"Accept": NDJSON}, **extra) as response:
        if response.status_code != 200:
            response.read()
            raise ExportError(f"download of a {_kind(item)} file failed: {_diagnostics(response)[0]}")
        with path.open("wb") as out:
            for chunk in response.iter_bytes(1 << 20):  # gzip/deflate transfer encoding inflated by httpx
                out.write(chunk)
    return path


def _is_oauth(client: httpx.Client) -> bool:
    return hasattr(client, "fetch_token")


class BearerToken(httpx.Auth):
    """A static bearer token, for a server that issues one out of band (never logged)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Any:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request
