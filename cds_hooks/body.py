"""Read a request body once, as bytes, refusing it past the size limit before it is all in memory; decode
a hook request from those bytes in one pass."""

from __future__ import annotations

import msgspec
from pydantic import ValidationError
from starlette.requests import Request

from fhir_mapping.decode import decode_prefetch

from .errors import PayloadTooLarge
from .models import HookRequest

__all__ = ["decode_hook_request", "read_body"]

_FIELDS = msgspec.json.Decoder(dict[str, msgspec.Raw])
_PLAIN = msgspec.json.Decoder()


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body of {declared} bytes is over the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def decode_hook_request(body: bytes) -> HookRequest:
    """The request with its prefetch already in the slim FHIR models (fhir_mapping/decode.py).

    Synchronous and CPU-bound: a caller may run it in a worker thread. A body msgspec or the model refuses
    is parsed again by pydantic from the bytes, which raises the ValidationError the route has always
    turned into its 400 (or, should pydantic accept it, answers with the prefetch as plain JSON)."""
    try:
        fields = {
            key: decode_prefetch(raw) if key == "prefetch" else _PLAIN.decode(raw)
            for key, raw in _FIELDS.decode(body).items()
        }
        return HookRequest.model_validate(fields)
    except (msgspec.DecodeError, ValidationError):
        return HookRequest.model_validate_json(body)
