"""Issue #23 end to end: the organ courses at patient-view, and the same records at order-select and
order-sign (the boxed warning withholds a drafted nilotinib; a starting dose replaces a drafted dose); a TKI
drafted outside its approved phase."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from bench.organ_courses import organ_courses
from tests.builders import TODAY, bcr_abl1, days_after, lab_observation, tki_statement
from tests.order_builders import HOOKS, URLS, draft, finding, order_request

PATIENT_VIEW = "/cds-services/cml-tki-resistance"
COURSES = dict(organ_courses())
EXPECTED = {  # course → (indicator, code, rule) of its one card; O6: none
    "O1": ("critical", "comorbidity-caution", "comorbidity.nilotinib.hypokalaemia"),
    "O2": ("critical", "comorbidity-caution", "comorbidity.nilotinib.long-qt-syndrome"),
    "O3": ("info", "dose-check", "dose.imatinib.renal-crcl-20-39"),
    "O4": ("info", "dose-check", "dose.nilotinib.later.hepatic-impairment-c"),
    "O5": ("warning", "dose-check", "dose.bosutinib.later.renal-crcl-30-50"),
}


def _cards(client: TestClient, url: str, request: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post(url, json=request)
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


@pytest.mark.parametrize("name", sorted(COURSES))
def test_each_course_gives_its_card(client: TestClient, name: str) -> None:
    cards = _cards(client, PATIENT_VIEW, COURSES[name])
    expected = EXPECTED.get(name[:2])
    if expected is None:
        assert cards == []
        return
    [card] = cards
    assert (card["indicator"], finding(card)["code"]) == expected[:2] and expected[2] in finding(card)["rules"]


def _ordering(hook: str, drafts: list[dict[str, Any]], course: str, **extra: Any) -> dict[str, Any]:
    """The course's record at ordering, with `drafts` and no current TKI."""
    base = COURSES[course]["prefetch"]
    request = order_request(hook, drafts, transcripts=[bcr_abl1(days_after(TODAY, -1), 0.05)], **extra)
    for key in ("bloodCounts", "blastsByName", "conditions"):
        request["prefetch"][key] = base[key]
    return request


@pytest.mark.parametrize("hook", HOOKS)
def test_nilotinib_drafted_with_a_low_potassium_is_withheld(client: TestClient, hook: str) -> None:
    nilotinib = draft("nilotinib", dose_mg=300, per_day=2, ident="d-nil")
    [card] = [
        c
        for c in _cards(
            client, URLS[hook], _ordering(hook, [nilotinib], "O1 nilotinib with potassium 3.1 mmol/L last week")
        )
        if finding(c)["code"] == "comorbidity-caution"
    ]
    assert card["indicator"] == "critical" and finding(card)["order"] == "MedicationRequest/d-nil"
    assert card["summary"].startswith("Do not give nilotinib until corrected")
    [action] = card["suggestions"][0]["actions"]
    assert action["type"] == "delete" and action["resourceId"] == "MedicationRequest/d-nil"


@pytest.mark.parametrize("hook", HOOKS)
def test_nilotinib_drafted_with_long_qt_is_withheld(client: TestClient, hook: str) -> None:
    nilotinib = draft("nilotinib", dose_mg=300, per_day=2, ident="d-nil")
    cards = _cards(client, URLS[hook], _ordering(hook, [nilotinib], "O2 nilotinib with long QT syndrome"))
    [card] = [c for c in cards if finding(c)["code"] == "comorbidity-caution"]
    assert card["indicator"] == "critical" and card["summary"].startswith("Do not give nilotinib")


@pytest.mark.parametrize("hook", HOOKS)
def test_imatinib_drafted_at_400_with_crcl_25_is_replaced_by_200(client: TestClient, hook: str) -> None:
    imatinib = draft("imatinib", dose_mg=400, ident="d-ima")
    course = "O3 imatinib 400 mg with creatinine clearance 25 mL/min"
    [card] = [
        c for c in _cards(client, URLS[hook], _ordering(hook, [imatinib], course)) if finding(c)["code"] == "dose-check"
    ]
    assert finding(card)["replacementDose"]["mgPerDose"] == 200.0
    delete, create = card["suggestions"][0]["actions"]
    assert delete["type"] == "delete" and create["type"] == "create"
    assert create["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 200.0


@pytest.mark.parametrize("hook", HOOKS)
def test_normal_values_give_no_card_at_ordering(client: TestClient, hook: str) -> None:
    nilotinib = draft("nilotinib", dose_mg=300, per_day=2)
    course = "O6 nilotinib with normal potassium, magnesium and creatinine clearance"
    assert _cards(client, URLS[hook], _ordering(hook, [nilotinib], course)) == []


def _in_phase(hook: str, blasts: float, drafted: dict[str, Any]) -> dict[str, Any]:
    request = order_request(
        hook,
        [drafted],
        transcripts=[bcr_abl1(days_after(TODAY, -1), 20.0)],
        medications=[tki_statement("imatinib", days_after(TODAY, -24), dose_mg=600)],
    )
    blast = lab_observation("26446-5", days_after(TODAY, -0.5), value=blasts, unit="%", ident="bl-1")
    request["prefetch"]["blasts"]["entry"] = [{"resource": blast}]
    return request


@pytest.mark.parametrize("hook", HOOKS)
@pytest.mark.parametrize(
    ("drug", "mg", "per_day", "blasts"),
    [("asciminib", 40, 2, 20.0), ("asciminib", 40, 2, 35.0), ("nilotinib", 400, 2, 35.0)],
)
def test_a_tki_drafted_outside_its_approved_phase_is_not_to_be_signed(
    client: TestClient, hook: str, drug: str, mg: float, per_day: int, blasts: float
) -> None:
    drafted = draft(drug, dose_mg=mg, per_day=per_day, ident="d-x")
    cards = _cards(client, URLS[hook], _in_phase(hook, blasts, drafted))
    phase = "accelerated" if blasts < 30 else "blast"
    [card] = [c for c in cards if "not approved" in c["summary"]]
    assert card["summary"] == f"Do not sign {drug}: not approved in {phase} phase (label)"
    assert card["suggestions"][0]["actions"][0]["type"] == "delete"


def test_nilotinib_drafted_in_accelerated_phase_is_not_called_unapproved(client: TestClient) -> None:
    cards = _cards(
        client, URLS["order-sign"], _in_phase("order-sign", 20.0, draft("nilotinib", dose_mg=400, per_day=2))
    )
    assert not any("not approved" in c["summary"] for c in cards)


@pytest.mark.parametrize("blasts", [20.0, 35.0])
def test_patient_view_never_offers_asciminib_in_advanced_phase_nor_nilotinib_in_blast_phase(
    client: TestClient, blasts: float
) -> None:
    request = _in_phase("patient-view", blasts, draft("imatinib"))
    request["hook"] = "patient-view"
    request["context"].pop("draftOrders", None)
    cards = _cards(client, PATIENT_VIEW, request)
    lines = [line for c in cards for line in c["detail"].splitlines() if line.startswith("Remaining options")]
    assert lines  # the advanced-phase card lists the options
    for line in lines:
        assert "asciminib" not in line
        if blasts >= 30:
            assert "nilotinib" not in line
