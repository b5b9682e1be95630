"""Deterministic ids for cards and suggestions: RFC 4122 name-based UUIDs (version 5, SHA-1).

Why not `str(uuid.uuid5(...))`: it builds a `UUID` object only to format it again, several microseconds
per id, and a call makes one per card and suggestion. This is the same algorithm over `hashlib` — the
result is the string `uuid.uuid5` gives (tests/cds_hooks/test_card_ids.py compares them).
"""

from __future__ import annotations

import hashlib
import uuid

__all__ = ["name_uuid"]


def name_uuid(namespace: uuid.UUID, name: str) -> str:
    """`str(uuid.uuid5(namespace, name))`: SHA-1 of namespace + name, version 5, RFC 4122 variant."""
    digest = bytearray(hashlib.sha1(namespace.bytes + name.encode(), usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # variant RFC 4122
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
