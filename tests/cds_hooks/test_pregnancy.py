"""Pregnancy end to end (issue #23 item 1): patient-view over the pregnancy courses, and a TKI drafted for a
pregnant patient at order-select and order-sign (critical card, delete suggestion)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from bench.pregnancy_courses import pregnancy_courses
from tests.builders import TODAY, bcr_abl1, condition, days_after, tki_statement
from tests.order_builders import HOOKS, URLS, codes, draft, finding, order_request

COURSES = dict(pregnancy_courses())
EXPECTED = {
    "P1 pregnant on dasatinib": [("critical", "pregnancy")],
    "P2 planning, now pregnant on imatinib (EDD ahead)": [("critical", "pregnancy")],
    "P3 planning pregnancy, TFR criteria met (imatinib 6.5 y, MR4 3.5 y)": [("warning", "pregnancy")],
    "P4 planning pregnancy on nilotinib, TFR criteria not met": [("warning", "pregnancy")],
    "P5 man planning to conceive (TFR criteria met)": [("info", "tfr-eligible")],
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_patient_view_pregnancy_courses(client: TestClient, name: str) -> None:
    response = client.post("/cds-services/cml-tki-resistance", json=COURSES[name])
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert [(c["indicator"], finding(c)["code"]) for c in cards] == EXPECTED[name]


def test_pregnant_card_says_stop_and_cites_the_labels(client: TestClient) -> None:
    [card] = client.post("/cds-services/cml-tki-resistance", json=COURSES["P1 pregnant on dasatinib"]).json()["cards"]
    assert card["summary"].startswith("Stop dasatinib: pregnant")
    assert "Weigh" not in card["summary"] and "without this caution" not in card["detail"]
    rules = finding(card)["rules"]
    assert "pregnancy.dasatinib.label" in rules and "pregnancy.dasatinib.hydrops" in rules
    assert "unverified" in card["detail"]  # the alternatives row


def test_tfr_route_leads_the_planning_card(client: TestClient) -> None:
    name = "P3 planning pregnancy, TFR criteria met (imatinib 6.5 y, MR4 3.5 y)"
    [card] = client.post("/cds-services/cml-tki-resistance", json=COURSES[name]).json()["cards"]
    body = card["detail"].split("\n\n", 1)[1] if card["detail"].startswith("> **Unverified") else card["detail"]
    assert body.startswith("**TFR route**") and finding(card)["tfrRoute"] is True


START = days_after(TODAY, -14)


def _scenario(pregnant: bool) -> dict[str, Any]:
    conditions = [condition("77386006", "Pregnancy", onset=days_after(TODAY, -1), ident="preg")] if pregnant else []
    return {
        "transcripts": [bcr_abl1(days_after(START, 3), 5.0), bcr_abl1(days_after(START, 12), 0.08)],
        "medications": [tki_statement("imatinib", START, dose_mg=400, ident="ms-ima")],
        "conditions": conditions,
    }


@pytest.mark.parametrize("hook", HOOKS)
def test_drafted_tki_for_a_pregnant_patient_is_deleted(client: TestClient, hook: str) -> None:
    drafts = [draft("nilotinib", dose_mg=300, per_day=2, ident="d-nil")]
    body = client.post(URLS[hook], json=order_request(hook, drafts, **_scenario(True))).json()
    cards = [c for c in body["cards"] if finding(c)["code"] == "pregnancy"]
    assert len(cards) == 1, codes(body)
    card = cards[0]
    assert card["indicator"] == "critical" and card["summary"].startswith("Do not sign nilotinib: pregnant")
    assert finding(card)["order"] == "MedicationRequest/d-nil" and finding(card)["withhold"] is True
    actions = [a for s in card.get("suggestions") or [] for a in s["actions"]]
    assert actions == [
        {
            "type": "delete",
            "description": "Remove the draft order for nilotinib",
            "resourceId": "MedicationRequest/d-nil",
        }
    ]
    assert body["cards"][0] is not None and body["cards"][0]["indicator"] == "critical"


@pytest.mark.parametrize("hook", HOOKS)
def test_drafted_tki_without_pregnancy_gets_no_pregnancy_card(client: TestClient, hook: str) -> None:
    drafts = [draft("nilotinib", dose_mg=300, per_day=2, ident="d-nil")]
    body = client.post(URLS[hook], json=order_request(hook, drafts, **_scenario(False))).json()
    assert "pregnancy" not in codes(body)
