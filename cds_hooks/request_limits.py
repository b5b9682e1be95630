"""What one request may cost, checked before any mapping: HTTP hygiene and size caps.

A CDS client sends JSON; anything else is refused (415) before the body is read. The body must arrive
within `body_read_timeout_seconds` (408), and a client that goes away mid-body is not a server error:
it is logged at INFO and audited as 499 (the nginx convention for "client closed request").
A prefetch Bundle with more entries than any patient has (`max_entries_per_bundle`), or more resources
in one call than `max_resources_per_call`, is refused (413) before one of them is mapped: counting is
cheap, mapping two million entries is not, and other callers must not wait for it. Before any of that,
a body with more JSON values than `max_json_values` (counted by its commas) is refused without parsing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from starlette.requests import ClientDisconnect, Request

from fhir_mapping.decode import resources_in

from .body import read_body
from .errors import ClientGone, PayloadTooLarge, RequestTimeout, UnsupportedMediaType
from .settings import Settings

__all__ = ["check_prefetch_size", "read_json_body"]

logger = logging.getLogger("cml_cds")

_JSON_TYPES = frozenset({"application/json", "application/fhir+json"})


def _require_json(request: Request) -> None:
    declared = request.headers.get("content-type")
    if declared is None:
        return  # curl and some clients omit it; the body must still parse as JSON
    media_type = declared.split(";", 1)[0].strip().lower()
    if media_type not in _JSON_TYPES:
        raise UnsupportedMediaType(f"Content-Type '{media_type[:80]}' is not JSON (application/json)")


async def read_json_body(request: Request, settings: Settings) -> bytes:
    """The JSON body, or 415 / 408 / 413 / 499 (ClientGone, logged at INFO)."""
    _require_json(request)
    try:
        async with asyncio.timeout(settings.body_read_timeout_seconds):
            body = await read_body(request, settings.max_body_bytes)
    except TimeoutError as exc:
        raise RequestTimeout(f"request body not received within {settings.body_read_timeout_seconds:g} s") from exc
    except ClientDisconnect as exc:
        logger.info("client disconnected before the request body was complete (%s)", request.url.path)
        raise ClientGone("client disconnected before the request body was complete") from exc
    # Parsing holds the interpreter for its whole length (other callers wait), so what cannot be a CDS Hooks
    # request is refused before: every JSON value after the first in a container follows a comma, so the
    # commas bound the values (2,000,000 `null`s cost 0.2 s to parse, 10 ms to count). A comma is a byte, so a
    # body no longer than the limit cannot be over it: only a larger one is counted.
    if len(body) > settings.max_json_values and body.count(b",") > settings.max_json_values:
        raise PayloadTooLarge(f"request body holds over {settings.max_json_values} JSON values (the limit)")
    return body


def check_prefetch_size(prefetch: Mapping[str, Any] | None, settings: Settings) -> None:
    """413 when one Bundle has more entries than `max_entries_per_bundle` or all together more resources
    than `max_resources_per_call`."""
    total = 0
    for key, value in (prefetch or {}).items():
        count = resources_in(value)
        if count > settings.max_entries_per_bundle:
            raise PayloadTooLarge(
                f"prefetch '{key[:64]}' has {count} entries, over the limit of {settings.max_entries_per_bundle}"
            )
        total += count
        if total > settings.max_resources_per_call:
            raise PayloadTooLarge(
                f"the prefetch holds more than {settings.max_resources_per_call} resources (the limit per call)"
            )
