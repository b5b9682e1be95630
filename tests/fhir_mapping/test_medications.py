"""MedicationStatement / MedicationRequest shapes → TKI exposures and co-medications."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from fhir_mapping import build_snapshot
from tests.builders import PATIENT, bundle, medication_request, tki_statement
from tki_resistance.model import PatientSnapshot, StopReason

START = date(2025, 1, 6)
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def snapshot(*resources: dict[str, Any], key: str = "medicationStatements") -> PatientSnapshot:
    return build_snapshot(PATIENT, {key: bundle(*resources)}, date(2026, 11, 22))


@pytest.mark.parametrize(
    ("concept", "drug"),
    [
        ({"coding": [{"system": RXNORM, "code": "282388"}]}, "imatinib"),
        ({"coding": [{"system": RXNORM, "code": "403879"}]}, "imatinib"),
        ({"coding": [{"system": "http://www.whocc.no/atc", "code": "L01EA06"}]}, "asciminib"),
        ({"text": "Sprycel 100 mg tablet"}, "dasatinib"),
        ({"coding": [{"system": "urn:oid:local", "code": "x", "display": "Ponatinib 45 MG Oral Tablet"}]}, "ponatinib"),
    ],
)
def test_tki_recognised_by_code_brand_or_name(concept: dict[str, Any], drug: str) -> None:
    statement = tki_statement("x", START, medicationCodeableConcept=concept)
    [exposure] = snapshot(statement).tki_exposures
    assert exposure.drug == drug


def _dosage(**dosage: Any) -> dict[str, Any]:
    return {"dosage": [dosage]}


@pytest.mark.parametrize(
    ("dosage", "mg", "per_day"),
    [
        ({"text": "400 mg daily"}, 400, 1),
        ({"text": "40 mg BID"}, 80, 2),
        ({"text": "45 mg once daily"}, 45, 1),
        ({"text": "Take 50 mg twice a day"}, 100, 2),
        (
            {
                "timing": {"code": {"coding": [{"code": "BID"}]}},
                "doseAndRate": [{"doseQuantity": {"value": 200, "code": "mg"}}],
            },
            400,
            2,
        ),
        (
            {
                "timing": {"repeat": {"when": ["MORN", "EVE"]}},
                "doseAndRate": [{"doseQuantity": {"value": 40, "unit": "mg"}}],
            },
            80,
            2,
        ),
        (
            {
                "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": 100, "code": "mg"}}],
            },
            100,
            1,
        ),
    ],
)
def test_dose_per_day(dosage: dict[str, Any], mg: float, per_day: int) -> None:
    [exposure] = snapshot(tki_statement("imatinib", START, **_dosage(**dosage))).tki_exposures
    assert (exposure.daily_dose_mg, exposure.doses_per_day) == (mg, per_day)


def test_dose_without_frequency_is_not_assumed() -> None:
    [exposure] = snapshot(tki_statement("imatinib", START, **_dosage(text="400 mg"))).tki_exposures
    assert exposure.daily_dose_mg is None and exposure.dose_text == "400 mg"


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ({"coding": [{"system": "http://snomed.info/sct", "code": "59037007"}]}, StopReason.INTOLERANCE),
        ({"text": "Stopped for grade 3 thrombocytopenia / intolerance"}, StopReason.INTOLERANCE),
        ({"text": "Primary resistance: loss of MMR"}, StopReason.RESISTANCE),
        ({"text": "TFR attempt"}, StopReason.TFR),
        ({"text": "patient moved"}, StopReason.OTHER),
    ],
)
def test_stop_reason(reason: dict[str, Any], expected: StopReason) -> None:
    statement = tki_statement("nilotinib", START, end=date(2025, 9, 1), status="stopped", statusReason=[reason])
    [exposure] = snapshot(statement).tki_exposures
    assert (exposure.active, exposure.stop_reason, exposure.end) == (False, expected, date(2025, 9, 1))


def test_contained_medication_reference_is_resolved() -> None:
    statement = tki_statement("x", START, medicationReference={"reference": "#med"})
    del statement["medicationCodeableConcept"]
    statement["contained"] = [
        {"resourceType": "Medication", "id": "med", "code": {"coding": [{"system": RXNORM, "code": "1364347"}]}}
    ]
    [exposure] = snapshot(statement).tki_exposures
    assert exposure.drug == "ponatinib"


def test_bundled_medication_reference_is_resolved_by_ingredient() -> None:
    statement = tki_statement("x", START, medicationReference={"reference": "Medication/m1"})
    del statement["medicationCodeableConcept"]
    medication = {
        "resourceType": "Medication",
        "id": "m1",
        "code": {"text": "Tablet 100 mg"},
        "ingredient": [{"itemCodeableConcept": {"coding": [{"system": RXNORM, "code": "1307619"}]}}],
    }
    [exposure] = snapshot(statement, medication).tki_exposures
    assert exposure.drug == "bosutinib"


def test_unresolvable_reference_is_reported() -> None:
    statement = tki_statement("x", START, medicationReference={"reference": "Medication/missing"})
    del statement["medicationCodeableConcept"]
    result = snapshot(statement)
    assert result.tki_exposures == () and "not resolvable" in result.exclusions[0].reason


def test_other_active_drugs_are_comedications_with_codes() -> None:
    statement = tki_statement(
        "x", START, medicationCodeableConcept={"coding": [{"system": RXNORM, "code": "29046", "display": "lisinopril"}]}
    )
    [drug] = snapshot(statement).comedications
    assert drug.name == "lisinopril" and drug.codes == (f"{RXNORM}|29046",)


@pytest.mark.parametrize(("status", "intent"), [("active", "order"), ("draft", "plan"), ("on-hold", "order")])
def test_open_tki_request_is_an_ordered_exposure(status: str, intent: str) -> None:
    request = medication_request("asciminib", START, status=status, intent=intent, dose_text="40 mg BID")
    result = snapshot(request, key="medicationRequests")
    [exposure] = result.tki_exposures
    assert exposure.ordered and exposure.drug == "asciminib" and exposure.daily_dose_mg == 80
    assert result.current_tki is None  # an order is not yet something the patient takes


def test_completed_request_is_history_with_stop_reason() -> None:
    request = medication_request(
        "imatinib",
        START,
        status="stopped",
        statusReason={"text": "resistance"},
        dosageInstruction=[{"timing": {"repeat": {"boundsPeriod": {"start": "2025-01-06", "end": "2025-07-01"}}}}],
    )
    [exposure] = snapshot(request, key="medicationRequests").tki_exposures
    assert (exposure.ordered, exposure.active, exposure.end) == (False, False, date(2025, 7, 1))
    assert exposure.stop_reason is StopReason.RESISTANCE


@pytest.mark.parametrize(("status", "intent"), [("entered-in-error", "order"), ("active", "proposal")])
def test_unusable_requests_are_reported(status: str, intent: str) -> None:
    result = snapshot(medication_request("imatinib", START, status=status, intent=intent), key="medicationRequests")
    assert result.tki_exposures == () and len(result.exclusions) == 1


def test_active_non_tki_request_is_a_comedication() -> None:
    [drug] = snapshot(medication_request("clarithromycin 500 mg", START), key="medicationRequests").comedications
    assert drug.name == "clarithromycin 500 mg"
