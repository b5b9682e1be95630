from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from fhir_mapping import build_snapshot
from tests.builders import PATIENT, bcr_abl1, bcr_abl1_ratio, bundle
from tki_resistance.model import PatientSnapshot

DAY = date(2026, 3, 1)


def snapshot(*resources: dict[str, Any]) -> PatientSnapshot:
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


# --- issue #3: every real-world shape of a BCR::ABL1 result ------------------------------------------------


def _control(text: str, copies: int, *, code: str | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": text}
    if code:
        concept["coding"] = [{"system": "http://lab.example.org/codes", "code": code}]
    return {"code": concept, "valueQuantity": {"value": copies}}


@pytest.mark.parametrize("comparator", ["<", "<="])
def test_comparator_is_kept_and_the_result_is_not_detected(comparator: str) -> None:
    [result] = snapshot(bcr_abl1(DAY, 0.0032, comparator=comparator)).transcripts
    assert result.comparator.value == comparator and result.percent_is == 0.0032 and not result.detected


def test_ucum_percent_with_is_annotation_is_percent() -> None:
    resource = bcr_abl1(DAY, 0.05, unit=None)
    resource["valueQuantity"] |= {"system": "http://unitsofmeasure.org", "code": "%{IS}", "unit": "%IS"}
    [result] = snapshot(resource).transcripts
    assert result.percent_is == 0.05


def test_ratio_with_a_reference_range_up_to_one_is_not_guessed() -> None:
    resource = bcr_abl1(DAY, 0.0011, unit="1", referenceRange=[{"high": {"value": 0.5}}])
    result = snapshot(resource)
    assert result.transcripts == () and "factor of 100" in result.exclusions[0].reason


@pytest.mark.parametrize(
    ("text", "percent", "comparator"),
    [("<0.0032%", 0.0032, "<"), ("0.12 %", 0.12, "="), ("<= 0.001 % IS", 0.001, "<="), ("0.5%IS", 0.5, "=")],
)
def test_value_as_string(text: str, percent: float, comparator: str) -> None:
    resource = bcr_abl1(DAY, None, valueString=text)
    [result] = snapshot(resource).transcripts
    assert (result.percent_is, result.comparator.value) == (percent, comparator)


def test_value_string_without_percent_is_excluded() -> None:
    result = snapshot(bcr_abl1(DAY, None, valueString="0.12"))
    assert result.transcripts == () and "percentage" in result.exclusions[0].reason


@pytest.mark.parametrize(
    "value",
    [
        {"valueCodeableConcept": {"coding": [{"system": "http://loinc.org", "code": "LA11883-8"}]}},
        {"valueCodeableConcept": {"text": "Not detected"}},
        {"valueString": "BCR-ABL1 undetectable"},
        {"interpretation": [{"coding": [{"code": "ND"}]}], "valueQuantity": {"value": 0, "comparator": "<"}},
    ],
)
def test_undetectable_results_with_abl1_control_copies(value: dict[str, Any]) -> None:
    resource = bcr_abl1(DAY, None, component=[_control("ABL1 copies", 45000, code="ABL1-CN")], **value)
    [result] = snapshot(resource).transcripts
    assert not result.detected
    assert (result.control_gene, result.control_copies) == ("ABL1", 45000)


def test_undetectable_with_sensitivity_keeps_the_limit_and_gusb_copies() -> None:
    resource = bcr_abl1(
        DAY,
        0.0032,
        comparator="<",
        interpretation=[{"coding": [{"code": "ND"}]}],
        component=[
            {"code": {"text": "BCR-ABL1 copies"}, "valueInteger": 0},
            {"code": {"text": "GUSB copies"}, "valueString": "250,000"},
        ],
    )
    [result] = snapshot(resource).transcripts
    assert (result.percent_is, result.detected) == (0.0032, False)
    assert (result.control_gene, result.control_copies) == ("GUSB", 250000)


def test_zero_without_unit_is_undetected_not_excluded() -> None:
    [result] = snapshot(bcr_abl1(DAY, 0, unit=None)).transcripts
    assert (result.percent_is, result.detected) == (0.0, False)


def test_detected_result_carries_control_copies() -> None:
    [result] = snapshot(bcr_abl1(DAY, 0.5, component=[_control("ABL1 copies", 12000)])).transcripts
    assert result.detected and result.control_copies == 12000


def test_effective_period_and_issued_give_the_day() -> None:
    by_period = bcr_abl1(DAY, 0.5)
    del by_period["effectiveDateTime"]
    by_period["effectivePeriod"] = {"start": "2026-03-02T08:00:00+01:00"}
    by_issued = bcr_abl1(DAY, 0.7)
    del by_issued["effectiveDateTime"]
    by_issued["issued"] = "2026-03-05T10:00:00Z"
    days = sorted(t.taken for t in snapshot(by_period, by_issued).transcripts)
    assert days == [date(2026, 3, 2), date(2026, 3, 5)]


@pytest.mark.parametrize("status", ["final", "amended", "corrected"])
def test_usable_statuses(status: str) -> None:
    [result] = snapshot(bcr_abl1(DAY, 0.5, status=status)).transcripts
    assert not result.preliminary


def test_preliminary_is_used_with_the_flag() -> None:
    [result] = snapshot(bcr_abl1(DAY, 0.5, status="preliminary")).transcripts
    assert result.preliminary


def test_data_absent_reason_is_excluded_and_said() -> None:
    resource = bcr_abl1(DAY, None, dataAbsentReason={"text": "sample failed"})
    result = snapshot(resource)
    assert result.transcripts == () and "dataAbsentReason" in result.exclusions[0].reason


def test_several_results_on_one_day_are_all_kept() -> None:
    result = snapshot(bcr_abl1(DAY, 0.5), bcr_abl1(DAY, 0.6))
    assert sorted(t.percent_is for t in result.transcripts) == [0.5, 0.6] and result.exclusions == ()


def test_greater_than_comparator_is_excluded() -> None:
    result = snapshot(bcr_abl1(DAY, 10, comparator=">"))
    assert result.transcripts == () and "comparator" in result.exclusions[0].reason


def test_transcript_type_is_read_from_a_bcr_abl1_result() -> None:
    typed = bcr_abl1(DAY, None, code="21822-2", valueString="e14a2 (b3a2) detected")
    result = snapshot(typed, bcr_abl1(DAY, 0.5))
    assert result.transcript_type == "e14a2"


# --- atypical transcripts on their own scale (issue #23) -----------------------------------------------------


def test_a_non_is_ratio_naming_an_atypical_transcript_is_kept_on_its_own_scale() -> None:
    result = snapshot(bcr_abl1_ratio(DAY, 0.4, transcript="e1a2 (p190)"), bcr_abl1(DAY, 0.5))
    [own] = result.own_scale
    assert own.transcript == "e1a2" and own.percent == 0.4 and own.detected
    assert [t.percent_is for t in result.transcripts] == [0.5]  # never mixed with the IS values
    assert result.exclusions == () and result.atypical_transcript == "e1a2"


def test_the_transcript_may_be_named_by_the_method_or_by_its_protein() -> None:
    by_method = bcr_abl1_ratio(DAY, 0.2, transcript=None, method="RT-qPCR, e19a2-specific primers")
    by_protein = bcr_abl1_ratio(DAY, 0.3, transcript="p190")
    result = snapshot(by_method, by_protein)
    assert sorted((r.transcript, r.percent) for r in result.own_scale) == [("e19a2", 0.2), ("e1a2", 0.3)]
    assert result.transcript_type == "e1a2+e19a2"


def test_an_undetectable_own_scale_result_keeps_its_limit() -> None:
    [own] = snapshot(bcr_abl1_ratio(DAY, 0.001, comparator="<")).own_scale
    assert own.comparator.value == "<" and not own.detected


def test_a_non_is_ratio_naming_no_transcript_is_excluded_and_said() -> None:
    result = snapshot(bcr_abl1_ratio(DAY, 0.4, transcript=None))
    assert result.own_scale == () and result.transcripts == ()
    assert "naming no atypical transcript" in result.exclusions[0].reason


def test_a_non_is_ratio_for_a_typical_transcript_stays_excluded() -> None:
    result = snapshot(bcr_abl1_ratio(DAY, 0.4, transcript="e14a2"))
    assert result.own_scale == () and "International Scale" in result.exclusions[0].reason


def test_an_own_scale_result_with_an_unreadable_unit_is_excluded_without_a_guessed_factor() -> None:
    result = snapshot(bcr_abl1_ratio(DAY, 0.004, unit="1"))
    assert result.own_scale == () and "no factor of 100" in result.exclusions[0].reason
