"""Draft doses as order entry sends them (issue #24): a count of units times the strength from the RxNorm
name or a Medication's ingredient.strength, the frequency from timing, else the sig text; and what was
missing when none gives a dose."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from fhir_mapping.dosing import daily_dose, strength_from_names
from fhir_mapping.draft_orders import map_draft_orders
from fhir_mapping.lax import read_resource
from fhir_mapping.resources import Dosage
from tests.order_builders import draft
from tests.order_entry_shapes import epic_draft, epic_medication, oracle_draft, sandbox_bundle, sandbox_draft


def _one(bundle: dict[str, Any]) -> Any:
    drafts = map_draft_orders(bundle, "cml-1")
    (order,) = drafts.orders
    return order


def test_the_sandbox_draft_reads_the_strength_from_the_rxnorm_name() -> None:
    order = _one(sandbox_bundle(sandbox_draft("nilotinib 150 MG Oral Capsule", "997653", 2, "bid")))
    assert (order.tki, order.daily_dose_mg, order.doses_per_day) == ("nilotinib", 600, 2)
    assert order.reference == "MedicationRequest/request-123"


@pytest.mark.parametrize(
    ("name", "rxcui", "number", "frequency", "mg"),
    [
        ("dasatinib 140 MG Oral Tablet", "1045402", 1, "daily", 140),
        ("ponatinib 45 MG Oral Tablet [Iclusig]", "1364362", 1, "daily", 45),
        ("imatinib 100 MG Oral Tablet", "403878", 4, "daily", 400),
        ("bosutinib 100 MG Oral Tablet", "1307624", 5, "daily", 500),
        ("asciminib 40 MG Oral Tablet", None, 1, "bid", 80),
    ],
)
def test_every_sandbox_tki_product_gives_its_daily_dose(
    name: str, rxcui: str | None, number: float, frequency: str, mg: float
) -> None:
    assert _one(sandbox_bundle(sandbox_draft(name, rxcui, number, frequency))).daily_dose_mg == mg


def test_a_pill_count_without_a_strength_says_what_was_missing() -> None:
    order = _one(sandbox_bundle(sandbox_draft("nilotinib Pill", "1158945", 2, "bid")))
    assert order.daily_dose_mg is None
    assert order.dose_missing is not None and "no mg strength" in order.dose_missing and "{pill}" in order.dose_missing
    assert "dose not readable" in (order.as_exposure(date(2026, 11, 22)).dose_text or "")


def test_a_bundle_entry_medication_gives_the_strength() -> None:
    medication = epic_medication("med-nil", "Tasigna 150 mg capsule", 150)
    order = _one(sandbox_bundle(epic_draft("Medication/med-nil", 2, "BID", "d-nil"), medication))
    assert (order.tki, order.daily_dose_mg, order.doses_per_day) == ("nilotinib", 600, 2)


def test_a_contained_medication_gives_the_strength() -> None:
    contained = [epic_medication("m1", "ponatinib tablet", 15)]
    order = _one(sandbox_bundle(epic_draft("#m1", 3, "Daily", "d-pon", contained=contained)))
    assert (order.tki, order.daily_dose_mg) == ("ponatinib", 45)


def test_the_medication_code_text_gives_the_strength_when_no_ingredient_does() -> None:
    medication = {"resourceType": "Medication", "id": "m2", "code": {"text": "dasatinib 50 MG Oral Tablet"}}
    order = _one(sandbox_bundle(epic_draft("Medication/m2", 2, "Daily", "d-das"), medication))
    assert (order.tki, order.daily_dose_mg) == ("dasatinib", 100)


def test_the_oracle_health_shape_reads_a_tab_count() -> None:
    order = _one(sandbox_bundle(oracle_draft("imatinib 400 MG Oral Tablet", 1, "d-ima")))
    assert (order.tki, order.daily_dose_mg, order.doses_per_day) == ("imatinib", 400, 1)


def _dose(dosage: dict[str, Any], strength: float | None = None) -> tuple[float | None, int | None]:
    result = daily_dose([read_resource(dosage, Dosage)], strength)
    return result.mg_per_day, result.doses_per_day


@pytest.mark.parametrize(
    ("quantity", "mg"),
    [
        ({"value": 2, "code": "{pill}"}, 300),
        ({"value": 2, "code": "{tbl}"}, 300),
        ({"value": 2, "code": "{cap}"}, 300),
        ({"value": 2, "unit": "tablet"}, 300),
        ({"value": 2, "unit": "capsules"}, 300),
        ({"value": 2, "unit": "TAB"}, 300),
        ({"value": 2, "unit": "CAP"}, 300),
        ({"value": 2, "unit": "tab(s)", "code": "{tbl}"}, 300),
        ({"value": 300, "unit": "mg"}, 300),  # mg wins: the strength is not applied to it
    ],
)
def test_count_units(quantity: dict[str, Any], mg: float) -> None:
    assert _dose({"doseAndRate": [{"doseQuantity": quantity}], "timing": {"code": {"text": "QD"}}}, 150) == (mg, 1)


@pytest.mark.parametrize(
    ("timing", "per_day"),
    [
        ({"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}}, 2),
        ({"repeat": {"period": 12, "periodUnit": "h"}}, 2),
        ({"repeat": {"when": ["MORN", "EVE"]}}, 2),
        ({"code": {"coding": [{"code": "BID"}]}}, 2),
        ({"code": {"coding": [{"code": "TID"}]}}, 3),
        ({"code": {"coding": [{"code": "QD"}]}}, 1),
        ({"code": {"text": "twice daily"}}, 2),
    ],
)
def test_frequency_from_timing(timing: dict[str, Any], per_day: int) -> None:
    assert _dose({"doseAndRate": [{"doseQuantity": {"value": 1, "code": "{tbl}"}}], "timing": timing}, 100) == (
        100 * per_day,
        per_day,
    )


@pytest.mark.parametrize(
    ("text", "strength", "mg", "per_day"),
    [
        ("Take 1 tablet (100 mg) by mouth once daily", None, 100, 1),
        ("take 2 tablets (300 mg total) twice a day", None, 600, 2),
        ("Take two capsules by mouth twice daily", 150, 600, 2),
        ("take 2 x 150 mg capsules twice daily", None, 600, 2),
        ("1 tab(s), Oral, Daily", 400, 400, 1),
        ("Take 1 tablet of imatinib 400 mg daily", None, 400, 1),
        ("45 mg once daily", None, 45, 1),
        ("40 mg BID", None, 80, 2),
    ],
)
def test_sig_text_grammar(text: str, strength: float | None, mg: float, per_day: int) -> None:
    assert _dose({"text": text}, strength) == (mg, per_day)


@pytest.mark.parametrize(
    ("dosage", "missing"),
    [
        ({"text": "take 2 capsules twice daily"}, "no mg strength"),
        ({"text": "as directed"}, "no dose"),
        ({"doseAndRate": [{"doseQuantity": {"value": 400, "unit": "mg"}}]}, "no frequency"),
        ({"doseAndRate": [{"doseQuantity": {"value": 5, "unit": "mL"}}], "timing": {"code": {"text": "QD"}}}, "mL"),
    ],
)
def test_what_was_missing_is_said(dosage: dict[str, Any], missing: str) -> None:
    result = daily_dose([read_resource(dosage, Dosage)])
    assert result.mg_per_day is None and result.missing is not None and missing in result.missing


def test_the_name_strength_is_not_read_from_a_concentration_or_two_strengths() -> None:
    assert strength_from_names(["nilotinib 150 MG Oral Capsule"]) == 150
    assert strength_from_names(["drug 10 MG/ML Oral Solution"]) is None
    assert strength_from_names(["a 5 MG / b 10 MG Oral Tablet"]) is None


@pytest.mark.parametrize("value", [5000, -45, 0, 1e308])
def test_an_implausible_draft_dose_is_kept_with_its_value_for_the_card(value: float) -> None:
    order = _one(sandbox_bundle(draft("ponatinib", dose_mg=value, ident="d-pon")))
    assert order.daily_dose_mg is None and order.dose_problem is not None
    assert order.stated_mg_per_day == value
