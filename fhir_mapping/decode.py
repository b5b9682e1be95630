"""The prefetch decoded from the request bytes into the slim models, in one pass for an ordinary Bundle.

Why: parsing the body into dicts and then validating every resource dict cost ~28 µs a resource (85
`validate_python` calls at 60 results). Here msgspec decodes each prefetch value straight into a Bundle
whose entries are the typed Structs (a union tagged by `resourceType`): one pass over the bytes.

When that fails — a resource that does not decode strictly, of a type the service does not model, a
malformed Bundle, a single resource outside a Bundle — the value is decoded again entry by entry: the
Bundle with its entries kept as raw JSON spans, then each entry into its Struct or, failing that, into its
plain JSON value. The mapping then reads or reports it exactly as it did when every resource was a dict
(snapshot.py, lax.py). One bad resource never fails the request.
"""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec

from .goals import Goal
from .resources import (
    Condition,
    FhirModel,
    FhirResource,
    MedicationRequest,
    MedicationStatement,
    Observation,
    Patient,
    Procedure,
)

__all__ = ["DecodedBundle", "decode_prefetch", "decode_value", "resources_in"]


class _WireEntry(msgspec.Struct, gc=False):  # transient, holds no cycles: not tracked by the collector
    resource: msgspec.Raw = msgspec.Raw(b"null")


class _WireBundle(FhirResource, frozen=True, kw_only=True, tag="Bundle"):
    id: str | None = None
    entry: list[_WireEntry] = msgspec.field(default_factory=list)


_TYPED_UNION = Patient | Observation | MedicationStatement | MedicationRequest | Condition | Procedure | Goal


class _TypedEntry(msgspec.Struct, gc=False):
    resource: _TYPED_UNION | None = None


class _TypedBundle(FhirResource, frozen=True, kw_only=True, tag="Bundle"):
    id: str | None = None
    entry: list[_TypedEntry] = msgspec.field(default_factory=list)


class DecodedBundle(FhirModel, frozen=True, kw_only=True):
    """A Bundle as the mapping reads it: its entries' resources, each a Struct, a plain JSON value, or
    None (an entry without a resource, reported by the mapping).

    Beside each Struct, `text(index)` gives its JSON text, which holds the fields the Struct does not
    (snapshot.py compares duplicates by it). Decoded in one pass, the texts are split from `source` only
    when first asked for, once: nearly every call has no duplicate and never asks."""

    resourceType: ClassVar[str] = "Bundle"
    id: str | None = None
    resources: list[Any] = msgspec.field(default_factory=list)
    raw: list[msgspec.Raw | None] = msgspec.field(default_factory=list)
    source: msgspec.Raw | None = None

    def text(self, index: int) -> msgspec.Raw | None:
        """The JSON text of entry `index` when it was decoded into a Struct, else None."""
        if not self.raw and self.source is not None:
            self.raw.extend(entry.resource for entry in _BUNDLE.decode(self.source).entry)
        return self.raw[index] if index < len(self.raw) else None


_TYPED_BUNDLE = msgspec.json.Decoder(_TypedBundle)
_BUNDLE = msgspec.json.Decoder(_WireBundle)
_RESOURCE = msgspec.json.Decoder(_TYPED_UNION)
_PLAIN = msgspec.json.Decoder()
_PREFETCH = msgspec.json.Decoder(dict[str, msgspec.Raw])


def decode_value(raw: msgspec.Raw) -> Any:
    """One prefetch value: a DecodedBundle, or its plain JSON value (a single resource, read as a dict)."""
    try:
        typed = _TYPED_BUNDLE.decode(raw)
    except msgspec.ValidationError:
        return _decode_entry_by_entry(raw)
    return DecodedBundle(id=typed.id, resources=[entry.resource for entry in typed.entry], source=raw)


def _decode_entry_by_entry(raw: msgspec.Raw) -> Any:
    """A value the one pass refused: each entry on its own, so one bad resource costs only itself."""
    try:
        bundle = _BUNDLE.decode(raw)
    except msgspec.ValidationError:
        return _PLAIN.decode(raw)
    resources: list[Any] = []
    texts: list[msgspec.Raw | None] = []
    for entry in bundle.entry:  # one loop, no helper call or second pass: it runs once per resource
        try:
            resources.append(_RESOURCE.decode(entry.resource))
            texts.append(entry.resource)
        except msgspec.ValidationError:
            resources.append(_PLAIN.decode(entry.resource))
            texts.append(None)
    return DecodedBundle(id=bundle.id, resources=resources, raw=texts)


def decode_prefetch(raw: msgspec.Raw) -> Any:
    """`prefetch` (key → value), decoded; anything but a JSON object is returned as its plain value."""
    try:
        values = _PREFETCH.decode(raw)
    except msgspec.ValidationError:
        return _PLAIN.decode(raw)
    return {key: decode_value(value) for key, value in values.items()}


def resources_in(value: Any) -> int:
    """How many resources a prefetch value holds: a Bundle's entries (decoded or plain), 1 for a single
    resource, 0 for anything else. The request limits count with it, and so does the choice between the
    event loop and a worker thread (cds_hooks)."""
    if isinstance(value, DecodedBundle):
        return len(value.resources)
    if isinstance(value, dict):
        entries = value.get("entry")
        return len(entries) if isinstance(entries, list) else 1
    return 0
