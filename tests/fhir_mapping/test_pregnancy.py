"""Pregnancy from the chart (issue #23 item 1): each recognised code is read, an unrecognised one is not guessed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from fhir_mapping import build_snapshot
from fhir_mapping.pregnancy import ROWS
from tests.builders import PATIENT, TODAY, condition, hook_request, lab_observation
from tki_resistance.knowledge.loader import default_knowledge
from tki_resistance.model import PatientSnapshot, PregnancyStatus

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
SYSTEMS = {"loinc": LOINC, "snomed": SNOMED}


def _snapshot(*, observations: list[dict[str, Any]] = (), gender: str | None = None, **kw: Any) -> PatientSnapshot:  # type: ignore[assignment]
    request = hook_request(**kw)
    request["prefetch"]["pregnancyStatus"]["entry"] = [{"resource": o} for o in observations]
    if gender:
        request["prefetch"]["patient"]["gender"] = gender
    return build_snapshot(PATIENT, request["prefetch"], TODAY)


def _status(question: str, answer: tuple[str, str] | None, days_ago: int = 10, **extra: Any) -> dict[str, Any]:
    obs = lab_observation(question, TODAY - timedelta(days=days_ago), **extra)
    if answer is not None:
        obs["valueCodeableConcept"] = {"coding": [{"system": answer[0], "code": answer[1]}]}
    return obs


def _statuses(snap: PatientSnapshot) -> dict[PregnancyStatus, str]:
    return {p.status: p.how for p in snap.pregnancy}


def test_every_code_row_is_in_the_knowledge_base() -> None:
    assert {r.id for r in ROWS} == {r.id for r in default_knowledge().pregnancy_codes}


ANSWERS = [r for r in ROWS if r.element == "observation-answer" and r.meaning in ("pregnant", "not-pregnant")]


@pytest.mark.parametrize("row", ANSWERS, ids=lambda r: r.id)
def test_pregnancy_status_answers(row: Any) -> None:
    snap = _snapshot(observations=[_status("82810-3", (SYSTEMS[row.system], row.code))])
    assert (PregnancyStatus.PREGNANT in _statuses(snap)) is (row.meaning == "pregnant")


def test_unknown_and_unrecognised_answers_conclude_nothing() -> None:
    assert _snapshot(observations=[_status("82810-3", (LOINC, "LA4489-6"))]).pregnancy == ()
    assert _snapshot(observations=[_status("82810-3", (SNOMED, "102874004"))]).pregnancy == ()  # not listed
    assert _snapshot(observations=[_status("82810-3", None, value="yes")]).pregnancy == ()  # free text: not read


def test_an_unrecognised_question_code_is_not_guessed() -> None:
    obs = _status("12345-6", (LOINC, "LA15173-0"), text="Pregnancy status")
    assert _snapshot(observations=[obs]).pregnancy == ()


def test_a_newer_not_pregnant_ends_an_older_pregnancy() -> None:
    older = _status("82810-3", (LOINC, "LA15173-0"), days_ago=60)
    newer = _status("82810-3", (LOINC, "LA26683-5"), days_ago=5)
    assert _snapshot(observations=[older, newer]).pregnancy == ()
    newest = _status("82810-3", (LOINC, "LA15173-0"), days_ago=2)
    assert PregnancyStatus.PREGNANT in _statuses(_snapshot(observations=[newer, newest]))


@pytest.mark.parametrize("code", ["11778-8", "11779-6", "11780-4"])
def test_estimated_delivery_date_ahead_means_pregnant(code: str) -> None:
    ahead = _status(code, None, valueDateTime=(TODAY + timedelta(days=120)).isoformat())
    [record] = _snapshot(observations=[ahead]).pregnancy
    assert record.status is PregnancyStatus.PREGNANT and record.due == TODAY + timedelta(days=120)
    past = _status(code, None, valueDateTime=(TODAY - timedelta(days=20)).isoformat(), days_ago=200)
    assert _snapshot(observations=[past]).pregnancy == ()
    absurd = _status(code, None, valueDateTime="2099-01-01")
    assert _snapshot(observations=[absurd]).pregnancy == ()


def test_breastfeeding_status_boolean_and_answers() -> None:
    assert PregnancyStatus.BREASTFEEDING in _statuses(
        _snapshot(observations=[_status("63895-7", None, valueBoolean=True)])
    )
    assert _snapshot(observations=[_status("63895-7", None, valueBoolean=False)]).pregnancy == ()
    yes = _snapshot(observations=[_status("63895-7", (LOINC, "LA29252-6"))])
    assert PregnancyStatus.BREASTFEEDING in _statuses(yes)
    assert _snapshot(observations=[_status("63895-7", (LOINC, "LA29253-4"))]).pregnancy == ()


CONDITIONS = [r for r in ROWS if r.element == "condition-code"]


@pytest.mark.parametrize("row", CONDITIONS, ids=lambda r: r.id)
def test_condition_codes(row: Any) -> None:
    code = row.code if row.system != "icd10" or "." in row.code else f"{row.code}.90"
    cond = (
        condition(code, "x", onset=TODAY - timedelta(days=30))
        if row.system == "snomed"
        else condition(None, "x", icd10=code, onset=TODAY - timedelta(days=30))
    )
    [record] = _snapshot(conditions=[cond]).pregnancy
    assert record.status.value == row.meaning and record.code_verified


def test_unlisted_snomed_code_and_resolved_condition_are_not_read() -> None:
    assert _snapshot(conditions=[condition("999999001", "Something")]).pregnancy == ()
    resolved = condition("77386006", "Pregnancy")
    resolved["clinicalStatus"]["coding"][0]["code"] = "resolved"
    assert _snapshot(conditions=[resolved]).pregnancy == ()


def test_planning_from_condition_or_goal_text() -> None:
    goal = {
        "resourceType": "Goal",
        "id": "g-plan",
        "lifecycleStatus": "active",
        "description": {"text": "Wishes to conceive next year"},
        "subject": {"reference": f"Patient/{PATIENT}"},
    }
    [record] = _snapshot(goals=[goal]).pregnancy
    assert record.status is PregnancyStatus.PLANNING and not record.code_verified
    [from_condition] = _snapshot(conditions=[condition(None, "Planning pregnancy")]).pregnancy
    assert from_condition.status is PregnancyStatus.PLANNING
    assert _snapshot(conditions=[condition(None, "Not pregnant")]).pregnancy == ()


def test_patient_gender_is_read() -> None:
    assert _snapshot(gender="male").sex == "male"
    assert _snapshot().sex is None
