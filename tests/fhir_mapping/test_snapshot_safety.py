"""Malformed Bundles in the prefetch are reported, never a crash and never silently skipped."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from fhir_mapping import build_snapshot
from tests.builders import PATIENT, bcr_abl1


@pytest.mark.parametrize("entry", [2.5, True, "x", {"resource": {}}], ids=["float", "bool", "string", "object"])
def test_bundle_entry_that_is_not_a_list_is_reported(entry: Any) -> None:
    prefetch = {"bcrAbl1": {"resourceType": "Bundle", "entry": entry}}
    snapshot = build_snapshot(PATIENT, prefetch, date(2026, 11, 22))
    assert snapshot.transcripts == ()
    assert ["Bundle.entry is not a list" in e.reason for e in snapshot.exclusions] == [True]


def test_entry_without_a_resource_is_reported_and_the_rest_is_read() -> None:
    good = bcr_abl1(date(2026, 3, 1), 0.5)
    prefetch = {"bcrAbl1": {"resourceType": "Bundle", "entry": [{"fullUrl": "x"}, 7, {"resource": good}]}}
    snapshot = build_snapshot(PATIENT, prefetch, date(2026, 11, 22))
    assert [t.percent_is for t in snapshot.transcripts] == [0.5]
    assert len([e for e in snapshot.exclusions if "without a resource" in e.reason]) == 2
