"""Read a request body once, as bytes, refusing it past the size limit before it is all in memory; decode
a hook request from those bytes in one pass."""

from __future__ import annotations

import msgspec
from pydantic import ValidationError
from starlette.requests import Request

from fhir_mapping.decode import decode_prefetch

from .errors import BadRequest, PayloadTooLarge
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


class _Drafts(msgspec.Struct):
    entry: list[msgspec.Raw] = msgspec.field(default_factory=list)


class _DraftContext(msgspec.Struct):
    """Only what the draft-order cap needs from `context`: its draftOrders' entries, each left as raw bytes."""

    draftOrders: _Drafts | None = None


_DRAFTS = msgspec.json.Decoder(_DraftContext)


def _check_draft_orders(context: msgspec.Raw, limit: int) -> None:
    """413 when context.draftOrders has more entries than `limit`, counted before any of them is decoded (a
    malformed draftOrders is left to the context's validation, which answers 400)."""
    try:
        drafts = _DRAFTS.decode(context).draftOrders
    except msgspec.ValidationError:
        return
    if drafts is not None and len(drafts.entry) > limit:
        raise PayloadTooLarge(
            f"context.draftOrders has {len(drafts.entry)} entries, over the limit of {limit} draft orders per call"
        )


def decode_hook_request(body: bytes, max_draft_orders: int | None = None) -> HookRequest:
    """The request with its prefetch already in the slim FHIR models (fhir_mapping/decode.py).

    Synchronous and CPU-bound: a caller may run it in a worker thread. A body msgspec or the model refuses
    is parsed again by pydantic from the bytes, which raises the ValidationError the route has always
    turned into its 400 (or, should pydantic accept it, answers with the prefetch as plain JSON).
    `context.draftOrders` over `max_draft_orders` entries is 413 before anything but the top level is decoded;
    JSON nested deeper than the decoder goes (Python's recursion limit: hundreds of levels, where FHIR needs
    about ten) is 400."""
    try:
        try:
            raw = _FIELDS.decode(body)
        except msgspec.DecodeError:
            return HookRequest.model_validate_json(body)
        if max_draft_orders is not None and "context" in raw:
            _check_draft_orders(raw["context"], max_draft_orders)
        try:
            fields = {
                key: decode_prefetch(value) if key == "prefetch" else _PLAIN.decode(value) for key, value in raw.items()
            }
            return HookRequest.model_validate(fields)
        except (msgspec.DecodeError, ValidationError):
            return HookRequest.model_validate_json(body)
    except RecursionError as exc:
        raise BadRequest("malformed JSON: nested too deeply") from exc
