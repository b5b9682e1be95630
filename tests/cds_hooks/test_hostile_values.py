"""Issue #10 regression rows: hostile or absurd values and dates are excluded with the reason, never a 500."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fhir_mapping import build_snapshot
from tests.builders import PATIENT, TODAY, bcr_abl1, bundle, days_after, hook_request, tki_statement

URL = "/cds-services/cml-tki-resistance"
START = days_after(TODAY, -7)
FAILING_DAY = days_after(START, 6)


def _request(transcript: dict[str, Any]) -> dict[str, Any]:
    return hook_request(
        transcripts=[bcr_abl1(days_after(START, 3), 30.0), transcript],
        medications=[tki_statement("imatinib", START, dose_mg=400)],
    )


def _excluded(body: dict[str, Any]) -> list[dict[str, str]]:
    return list(body["extension"]["org.cmlcds.response"]["excluded"])


def _codes(body: dict[str, Any]) -> list[str]:
    return [card["extension"]["org.cmlcds.finding"]["code"] for card in body["cards"]]


@pytest.mark.parametrize("literal", ["1e400", "Infinity", "-Infinity", "NaN"])
def test_non_finite_values_are_excluded_with_the_reason(client: TestClient, literal: str) -> None:
    marker = 123.456
    text = json.dumps(_request(bcr_abl1(FAILING_DAY, marker, ident="bad"))).replace(str(marker), literal)
    assert literal in text
    response = client.post(URL, content=text, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    [excluded] = [e for e in _excluded(response.json()) if e["reference"] == "Observation/bad"]
    assert "value" in excluded["reason"]
    assert "data-excluded" in _codes(response.json())


def test_boolean_value_is_not_read_as_one_percent(client: TestClient) -> None:
    body = client.post(URL, json=_request(bcr_abl1(FAILING_DAY, True, ident="bool"))).json()
    assert any(e["reference"] == "Observation/bool" for e in _excluded(body))
    assert "milestone-failure" not in _codes(body)  # 30% at 3 months stays the latest: a warning, not 1%
    assert "data-excluded" in _codes(body)


@pytest.mark.parametrize(
    ("value", "comparator", "reason"),
    [
        (1e308, None, "above 1000% IS"),
        (5000.0, None, "above 1000% IS"),
        (-1.0, None, "negative"),
        (0.0, "<", "not a detection limit"),
        (1e-300, None, "beyond any assay"),
    ],
)
def test_implausible_values_are_excluded_with_the_reason(value: float, comparator: str | None, reason: str) -> None:
    result = build_snapshot(PATIENT, {"b": bundle(bcr_abl1(FAILING_DAY, value, comparator=comparator))}, TODAY)
    assert result.transcripts == ()
    assert reason in result.exclusions[0].reason


@pytest.mark.parametrize("day", ["9999-12-31", "9999-01-01", "1850-06-01", "9999", "1066-10"])
def test_dates_outside_the_plausible_window_are_excluded_not_a_500(client: TestClient, day: str) -> None:
    transcript = bcr_abl1(FAILING_DAY, 25.0, ident="dated") | {"effectiveDateTime": day}
    response = client.post(URL, json=_request(transcript))
    assert response.status_code == 200
    [excluded] = [e for e in _excluded(response.json()) if e["reference"] == "Observation/dated"]
    assert "plausible window" in excluded["reason"]
    assert "95678" not in response.text


def test_tomorrow_is_in_the_window_and_the_day_after_is_not() -> None:
    tomorrow = bcr_abl1(date.fromordinal(TODAY.toordinal() + 1), 1.0)
    later = bcr_abl1(date.fromordinal(TODAY.toordinal() + 2), 1.0, ident="later")
    result = build_snapshot(PATIENT, {"b": bundle(tomorrow, later)}, TODAY)
    assert [t.source for t in result.transcripts] == [f"Observation/{tomorrow['id']}"]
    assert result.exclusions[0].reference == "Observation/later"


def test_a_placeholder_end_date_on_a_drug_is_excluded_with_the_reason() -> None:
    statement = tki_statement("imatinib", START, ident="ms-open") | {
        "effectivePeriod": {"start": START.isoformat(), "end": "9999-12-31"}
    }
    result = build_snapshot(PATIENT, {"m": bundle(statement)}, TODAY)
    assert result.tki_exposures == ()
    assert "effectivePeriod.end 9999-12-31" in result.exclusions[0].reason


@pytest.mark.parametrize(("dose", "per_day"), [(1e308, 4), (-400.0, 1), (40000.0, 1)])
def test_an_implausible_dose_is_not_read_and_said(dose: float, per_day: int) -> None:
    statement = tki_statement("imatinib", START, dose_mg=dose, per_day=per_day, ident="dose")
    result = build_snapshot(PATIENT, {"m": bundle(statement)}, TODAY)
    [exposure] = result.tki_exposures
    assert exposure.daily_dose_mg is None
    assert "not a plausible TKI dose" in result.exclusions[0].reason


def test_blast_count_outside_0_to_100_is_excluded() -> None:
    blast = {
        "resourceType": "Observation",
        "id": "blast",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "26446-5"}]},
        "subject": {"reference": f"Patient/{PATIENT}"},
        "effectiveDateTime": FAILING_DAY.isoformat(),
        "valueQuantity": {"value": 250.0, "unit": "%", "code": "%"},
    }
    result = build_snapshot(PATIENT, {"blasts": bundle(blast)}, TODAY)
    assert result.blast_percent is None
    assert "outside 0–100%" in result.exclusions[0].reason


def test_a_control_copy_string_of_5000_digits_is_not_a_500() -> None:
    component = [{"code": {"text": "ABL1 copies"}, "valueString": "9" * 5000}]
    [result] = build_snapshot(
        PATIENT, {"b": bundle(bcr_abl1(FAILING_DAY, 1.0, component=component))}, TODAY
    ).transcripts
    assert result.control_copies is None


def test_an_order_starting_next_week_is_kept_but_not_one_in_the_year_9999() -> None:
    next_week = date.fromordinal(TODAY.toordinal() + 7).isoformat()
    order: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": "order",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"text": "ponatinib"},
        "subject": {"reference": f"Patient/{PATIENT}"},
        "authoredOn": TODAY.isoformat(),
        "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": next_week}}}}],
    }
    [exposure] = build_snapshot(PATIENT, {"o": bundle(order)}, TODAY).tki_exposures
    assert exposure.ordered and exposure.start is not None and exposure.start.isoformat() == next_week
    order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["start"] = "9999-01-01"
    result = build_snapshot(PATIENT, {"o": bundle(order)}, TODAY)
    assert result.tki_exposures == () and "plausible window" in result.exclusions[0].reason
