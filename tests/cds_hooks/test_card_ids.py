"""card_ids.name_uuid must give exactly what uuid.uuid5 gives: card uuids are stable across releases (a
retried call, feedback on a card, the audit row all refer to them)."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from cds_hooks.card_ids import name_uuid


@given(namespace=st.uuids(), name=st.text(max_size=200))
def test_name_uuid_is_uuid5(namespace: uuid.UUID, name: str) -> None:
    assert name_uuid(namespace, name) == str(uuid.uuid5(namespace, name))


def test_name_uuid_is_a_version_5_rfc_4122_uuid() -> None:
    parsed = uuid.UUID(name_uuid(uuid.NAMESPACE_URL, "hook-instance:0:avoid-tki"))
    assert (parsed.version, parsed.variant) == (5, uuid.RFC_4122)
