from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from fhir_mapping import build_snapshot
from tests.builders import PATIENT, bcr_abl1, bundle

DAY = date(2026, 3, 1)


def snapshot(*resources: dict[str, Any]):  # type: ignore[no-untyped-def]
    return build_snapshot(PATIENT, {"bcrAbl1": bundle(*resources)}, date(2026, 11, 22))


def test_percent_result_is_mapped() -> None:
    [result] = snapshot(bcr_abl1(DAY, 0.5)).transcripts
    assert result.percent_is == 0.5 and result.taken == DAY


@pytest.mark.parametrize("unit", ["1", "{ratio}", None])
def test_ambiguous_unit_without_a_reference_range_is_excluded_and_said(unit: str | None) -> None:
    result = snapshot(bcr_abl1(DAY, 0.5, unit=unit))
    assert result.transcripts == ()
    assert "not interpretable" in result.exclusions[0].reason


def test_ambiguous_unit_with_a_percent_reference_range_is_percent() -> None:
    resource = bcr_abl1(DAY, 0.011, unit="1", referenceRange=[{"low": {"value": 0.003}, "high": {"value": 55.0}}])
    [result] = snapshot(resource).transcripts
    assert result.percent_is == 0.011


def test_non_is_ratio_is_excluded_and_said() -> None:
    result = snapshot(bcr_abl1(DAY, 0.5, code="46434-7"))
    assert result.transcripts == ()
    assert "International Scale" in result.exclusions[0].reason


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled", "registered"])
def test_unusable_status_is_excluded(status: str) -> None:
    result = snapshot(bcr_abl1(DAY, 0.5, status=status))
    assert result.transcripts == () and status in result.exclusions[0].reason


def test_another_patients_result_is_excluded_and_said() -> None:
    result = snapshot(bcr_abl1(DAY, 0.5, patient="someone-else"))
    assert result.transcripts == ()
    assert "another patient" in result.exclusions[0].reason or "not the patient" in result.exclusions[0].reason


def test_duplicate_id_is_used_once_and_reported() -> None:
    result = snapshot(bcr_abl1(DAY, 0.5, ident="x"), bcr_abl1(DAY, 0.7, ident="x"))
    assert [t.percent_is for t in result.transcripts] == [0.5]
    assert "duplicate" in result.exclusions[0].reason
