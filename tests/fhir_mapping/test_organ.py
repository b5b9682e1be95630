"""Issue #23: organ function and electrolytes from Observations — every recognised code, units, the latest
value, and an unrecognised code never guessed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bench.organ_courses import child_pugh
from fhir_mapping import build_snapshot
from tests.builders import PATIENT, TODAY, bundle, lab_observation

DAY = date(2026, 11, 1)


def _snapshot(*observations: dict[str, Any]) -> Any:
    return build_snapshot(PATIENT, {"bloodCounts": bundle(*observations)}, TODAY)


@pytest.mark.parametrize(
    ("loinc", "unit", "slot", "measure"),
    [
        ("2164-2", "mL/min", "renal", "creatinine-clearance"),
        ("33914-3", "mL/min/{1.73_m2}", "renal", "egfr"),
        ("62238-1", "mL/min/{1.73_m2}", "renal", "egfr"),
        ("98979-8", "mL/min/{1.73_m2}", "renal", "egfr"),
        ("2823-3", "mmol/L", "potassium", "potassium"),
        ("6298-4", "meq/L", "potassium", "potassium"),
        ("2601-3", "mmol/L", "magnesium", "magnesium"),
        ("19123-9", "mmol/L", "magnesium", "magnesium"),
    ],
)
def test_each_code_maps_to_its_measure(loinc: str, unit: str, slot: str, measure: str) -> None:
    value = getattr(_snapshot(lab_observation(loinc, DAY, value=3.0, unit=unit, ident="o1")), slot)
    assert value is not None and value.measure == measure and value.value == 3.0 and value.taken == DAY
    assert value.source == "Observation/o1"


def test_magnesium_in_mg_per_dl_is_converted_with_its_range() -> None:
    observation = lab_observation(
        "19123-9", DAY, value=1.2, unit="mg/dL", referenceRange=[{"low": {"value": 1.7, "unit": "mg/dL"}}]
    )
    magnesium = _snapshot(observation).magnesium
    assert magnesium.unit == "mmol/L" and magnesium.value == pytest.approx(0.494, abs=0.001)
    assert magnesium.low == pytest.approx(0.699, abs=0.001)


def test_an_unrecognised_code_is_not_read_and_a_wrong_unit_is_excluded() -> None:
    creatinine = lab_observation("2160-0", DAY, text="Creatinine clearance?", value=1.1, unit="mg/dL")
    snap = _snapshot(creatinine)
    assert snap.renal is None and snap.exclusions == ()
    wrong = _snapshot(lab_observation("2823-3", DAY, value=3.1, unit="mg/dL", ident="k9"))
    assert wrong.potassium is None and any("potassium" in e.reason for e in wrong.exclusions)


def test_the_latest_value_wins_and_a_clearance_beats_an_egfr_of_the_same_day() -> None:
    older = lab_observation("2164-2", date(2026, 6, 1), value=20, unit="mL/min")
    egfr = lab_observation("98979-8", DAY, value=50, unit="mL/min/{1.73_m2}")
    clearance = lab_observation("2164-2", DAY, value=45, unit="mL/min")
    renal = _snapshot(older, egfr, clearance).renal
    assert renal.measure == "creatinine-clearance" and renal.value == 45


def test_child_pugh_by_class_or_score_and_nothing_else() -> None:
    by_class = build_snapshot(PATIENT, {"blastsByName": bundle(child_pugh(DAY, "B"))}, TODAY).hepatic
    assert by_class is not None and by_class.grade == "B"
    score = {
        "resourceType": "Observation",
        "id": "cp-s",
        "status": "final",
        "code": {"text": "Child-Pugh score"},
        "subject": {"reference": f"Patient/{PATIENT}"},
        "effectiveDateTime": DAY.isoformat(),
        "valueInteger": 11,
    }
    by_score = build_snapshot(PATIENT, {"blastsByName": bundle(score)}, TODAY).hepatic
    assert by_score is not None and by_score.grade == "C"
    vague = dict(score, id="cp-v", valueInteger=None, valueString="see letter")
    snap = build_snapshot(PATIENT, {"blastsByName": bundle(vague)}, TODAY)
    assert snap.hepatic is None and snap.exclusions
