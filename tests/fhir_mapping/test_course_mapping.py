"""Mapping for issue #9: the TFR goal (Goal), transcript names in Condition text, the transplant record."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from fhir_mapping import build_snapshot
from fhir_mapping.medications import stop_reason
from fhir_mapping.resources import CodeableConcept
from tests.builders import PATIENT, bundle, condition, patient, procedure
from tki_resistance.model import PatientSnapshot, StopReason

DAY = date(2020, 3, 4)


def snapshot(*resources: dict[str, Any]) -> PatientSnapshot:
    return build_snapshot(PATIENT, {"patient": patient(), "all": bundle(*resources)}, date(2026, 1, 1))


def goal(text: str, status: str = "active", ident: str = "g1", note: str | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Goal",
        "id": ident,
        "lifecycleStatus": status,
        "description": {"text": text},
        "subject": {"reference": f"Patient/{PATIENT}"},
    }
    if note:
        resource["note"] = [{"text": note}]
    return resource


@pytest.mark.parametrize(
    ("text", "status", "note", "expected"),
    [
        ("Treatment-free remission", "active", None, True),
        ("Aim for TFR after 5 years of imatinib", "accepted", None, True),
        ("Stop the TKI in sustained MR4.5", "planned", None, True),
        ("Long-term disease control", "active", "Patient wishes to try treatment free remission", True),
        ("Treatment-free remission", "cancelled", None, False),
        ("Weight loss", "active", None, False),
    ],
)
def test_tfr_goal_from_a_goal_resource(text: str, status: str, note: str | None, expected: bool) -> None:
    result = snapshot(goal(text, status, note=note))
    assert result.tfr_goal is expected
    assert result.tfr_goal_source == ("Goal/g1" if expected else None)


def test_a_goal_of_another_patient_is_reported_and_not_used() -> None:
    other = goal("Treatment-free remission") | {"subject": {"reference": "Patient/someone-else"}}
    result = snapshot(other)
    assert result.tfr_goal is False and result.exclusions


@pytest.mark.parametrize(
    ("text", "expected", "atypical"),
    [
        ("CML, chronic phase, e1a2 transcript", "e1a2", "e1a2"),
        ("CML with atypical e19a2 (p230) BCR::ABL1", "e19a2", "e19a2"),
        ("CML, b3a2 transcript", "e14a2", None),
        ("CML, e14a2 and e1a2 co-expression", "e14a2+e1a2", None),
        ("CML with e8a2 fusion", "e8a2", "e8a2"),
    ],
)
def test_transcript_type_from_condition_text(text: str, expected: str, atypical: str | None) -> None:
    result = snapshot(condition("92818009", text, ident="c1"))
    assert result.transcript_type == expected
    assert result.atypical_transcript == atypical
    assert result.transcript_sources == ("Condition/c1",)


@pytest.mark.parametrize(
    "text",
    ["Allogenic stem cell transplant", "Haploidentical HCT", "Allo-HCT, matched sibling donor"],
)
def test_transplant_text_variants_and_source(text: str) -> None:
    result = snapshot(procedure(None, DAY, text=text, ident="p1"))
    assert (result.allogeneic_transplant, result.transplant_source) == (DAY, "Procedure/p1")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Drug-free remission attempt", StopReason.TFR),
        ("TKI discontinuation attempt in MR4.5", StopReason.TFR),
        ("Stop attempt (EURO-SKI)", StopReason.TFR),
        ("Dose reduced for toxicity", StopReason.INTOLERANCE),
        ("Loss of response", StopReason.RESISTANCE),
    ],
)
def test_tfr_stop_reasons_in_text(text: str, expected: StopReason) -> None:
    assert stop_reason([CodeableConcept(text=text)]) is expected


def test_transcript_type_from_any_observation_text() -> None:
    from tests.builders import lab_observation

    report = lab_observation("48003-8", DAY, text="Molecular genetics report", value="BCR::ABL1 e19a2 (p230) detected")
    result = snapshot(report)
    assert result.transcript_type == "e19a2" and result.transcript_sources == (f"Observation/{report['id']}",)
