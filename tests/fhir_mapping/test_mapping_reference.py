"""The mapping gives, for every stored input, the snapshot the mapping of commit 28aaeaa gave (before the
Observations were sorted once by kind): every field, the exclusions with their reasons and order included.
The inputs and the reference are made by mapping_cases.py."""

from __future__ import annotations

import gzip
import json
from datetime import date
from typing import Any

import pytest

from tests.fhir_mapping.mapping_cases import REFERENCE, snapshots


def _reference() -> list[dict[str, Any]]:
    return list(json.loads(gzip.decompress(REFERENCE.read_bytes())))


_CASES = _reference()


def test_the_reference_covers_every_kind_of_input() -> None:
    names = [case["name"] for case in _CASES]
    assert sum(name.startswith("course: ") for name in names) >= 50
    assert sum(name.startswith("bench patient") for name in names) == 5
    assert sum(name.startswith("hostile: ") for name in names) >= 300
    assert sum(len(case["plain"]["exclusions"]) for case in _CASES) > 8000


@pytest.mark.parametrize("case", _CASES, ids=[case["name"] for case in _CASES])
def test_the_snapshot_is_the_one_the_mapping_gave_before(case: dict[str, Any]) -> None:
    plain, decoded = snapshots(case["patient"], case["prefetch"], date.fromisoformat(case["as_of"]))
    assert plain == case["plain"]
    assert decoded == case["decoded"]
