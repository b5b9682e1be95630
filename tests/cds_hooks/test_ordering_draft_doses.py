"""Draft doses at order-select and order-sign, through the app (issues #24 and #25).

- The CDS Hooks Sandbox's exact draft shape (a `{pill}` count, the strength only in the RxNorm name; see
  tests/order_entry_shapes.py for the source) gives each dose rule its `dose-check` card, as a draft in mg does.
- Oracle Health- and Epic-style drafts (a `{tbl}` count, a referenced Medication's ingredient.strength).
- An implausible drafted dose (not finite, ≤ 0, above the label's maximum) is a warning `dose-check` naming
  the draft and the value, withheld (delete), and no raise / lower / replace computed from it.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import TODAY, bcr_abl1, days_after, kd_variant, tki_statement
from tests.order_builders import HOOKS, URLS, codes, draft, finding, order_request
from tests.order_entry_shapes import epic_draft, epic_medication, oracle_draft, sandbox_bundle, sandbox_draft

START = days_after(TODAY, -13)
T315I = [kd_variant(days_after(START, 12), "Thr315Ile", vaf=0.4, ident="v-t315i")]
SELECTED = "MedicationRequest/request-123"


def _post(client: TestClient, hook: str, drafts: list[dict[str, Any]], **scenario: Any) -> dict[str, Any]:
    request = order_request(hook, [], **scenario)
    request["context"]["draftOrders"] = sandbox_bundle(*drafts)
    if hook == "order-select":
        request["context"]["selections"] = [f"{d['resourceType']}/{d['id']}" for d in drafts[:1]]
    response = client.post(URLS[hook], json=request)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _dose_cards(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in body["cards"] if finding(c)["code"] == "dose-check"]


def _one_dose_card(body: dict[str, Any]) -> dict[str, Any]:
    cards = _dose_cards(body)
    assert len(cards) == 1, codes(body)
    return cards[0]


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for s in card.get("suggestions") or [] for a in s["actions"]]


def _replacement_mg(card: dict[str, Any]) -> float:
    create = [a for a in _actions(card) if a["type"] == "create"]
    value: float = create[0]["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"]
    return value


def _stopped(drug: str, reason: str, ident: str) -> dict[str, Any]:
    return tki_statement(
        drug,
        days_after(START, -24),
        end=days_after(START, -1),
        status="completed",
        dose_mg=400,
        ident=ident,
        statusReason=[{"text": reason}],
    )


def _ponatinib_at_response() -> dict[str, Any]:
    return {
        "medications": [tki_statement("nilotinib", START, dose_mg=800, per_day=2, ident="ms-nil")],
        "transcripts": [bcr_abl1(days_after(START, 3), 8.0), bcr_abl1(days_after(START, 12), 0.8)],
    }


# --- the Sandbox's shape gives each dose rule its card --------------------------------------------------

SANDBOX_RULES = {
    "dasatinib-140-chronic": (
        sandbox_draft("dasatinib 140 MG Oral Tablet", "1045402", 1, "daily"),
        {},
        "dose.dasatinib.first.chronic",
        100,
    ),
    "nilotinib-300-bid-second-line": (
        sandbox_draft("nilotinib 150 MG Oral Capsule", "997653", 2, "bid"),
        {"medications": [_stopped("imatinib", "loss of response", "ms-ima")]},
        "dose.nilotinib.later.chronic",
        400,
    ),
    "ponatinib-45-at-most-1pct": (
        sandbox_draft("ponatinib 45 MG Oral Tablet", "1364360", 1, "daily"),
        _ponatinib_at_response(),
        "dose.ponatinib.response-le-1pct",
        15,
    ),
    "asciminib-t315i-below-200-bid": (
        sandbox_draft("asciminib 40 MG Oral Tablet", None, 1, "bid"),
        {"variants": T315I},
        "dose.asciminib.t315i",
        200,
    ),
}


@pytest.mark.parametrize("hook", HOOKS)
@pytest.mark.parametrize("rule", list(SANDBOX_RULES))
def test_the_sandbox_draft_gives_each_dose_rule_its_card(client: TestClient, hook: str, rule: str) -> None:
    resource, scenario, rule_id, replacement = SANDBOX_RULES[rule]
    body = _post(client, hook, [resource], **scenario)
    card = _one_dose_card(body)
    assert finding(card)["order"] == SELECTED
    assert rule_id in finding(card)["rules"]
    assert _replacement_mg(card) == replacement
    assert "dose not recorded" not in card["summary"] and "not readable" not in card["detail"]


@pytest.mark.parametrize("hook", HOOKS)
def test_the_sandbox_draft_at_the_right_dose_passes(client: TestClient, hook: str) -> None:
    body = _post(client, hook, [sandbox_draft("imatinib 400 MG Oral Tablet", "403879", 1, "daily")])
    assert body["cards"] == []


@pytest.mark.parametrize("hook", HOOKS)
def test_a_sandbox_pill_count_without_strength_says_what_was_missing(client: TestClient, hook: str) -> None:
    body = _post(client, hook, [sandbox_draft("asciminib Pill", None, 2, "bid")], variants=T315I)
    card = _one_dose_card(body)
    assert "no mg strength" in card["detail"] and "{pill}" in card["detail"]


# --- Oracle Health and Epic shapes ---------------------------------------------------------------------------


@pytest.mark.parametrize("hook", HOOKS)
def test_an_oracle_health_tab_count_gives_the_dose_card(client: TestClient, hook: str) -> None:
    resource = oracle_draft("dasatinib 70 MG Oral Tablet", 2, "d-das", sig="2 tab(s), Oral, Daily")
    body = _post(client, hook, [resource])
    card = _one_dose_card(body)
    assert finding(card)["order"] == "MedicationRequest/d-das" and _replacement_mg(card) == 100


@pytest.mark.parametrize("hook", HOOKS)
@pytest.mark.parametrize("contained", [False, True], ids=["bundle-entry", "contained"])
def test_an_epic_referenced_medication_strength_gives_the_dose_card(
    client: TestClient, hook: str, contained: bool
) -> None:
    medication = epic_medication("med-asc", "Scemblix 40 mg tablet", 40)
    if contained:
        drafts = [epic_draft("#med-asc", 1, "BID", "d-asc", contained=[medication])]
    else:
        drafts = [epic_draft("Medication/med-asc", 1, "BID", "d-asc"), medication]
    body = _post(client, hook, drafts, variants=T315I)
    card = _one_dose_card(body)
    assert "80 mg/day" in card["summary"] and _replacement_mg(card) == 200


# --- implausible drafted doses (issue #25) ------------------------------------------------------------------


@pytest.mark.parametrize("hook", HOOKS)
@pytest.mark.parametrize("value", [5000, -45, 0, 1e308, 60], ids=["5000", "negative", "zero", "1e308", "60"])
def test_an_implausible_ponatinib_dose_is_flagged_with_its_value(client: TestClient, hook: str, value: float) -> None:
    body = _post(client, hook, [draft("ponatinib", dose_mg=value, ident="d-pon")])
    card = _one_dose_card(body)
    assert card["indicator"] == "warning"
    assert finding(card)["order"] == "MedicationRequest/d-pon"
    assert f"{value:g} mg/day" in card["summary"] and "MedicationRequest/d-pon" in card["detail"]
    assert "dose.ponatinib.label-maximum" in finding(card)["rules"]
    assert [a["type"] for a in _actions(card)] == ["delete"]  # withheld; nothing computed from the value


@pytest.mark.parametrize("hook", HOOKS)
def test_asciminib_5000_mg_for_t315i_is_not_raised_to_200_bid(client: TestClient, hook: str) -> None:
    body = _post(client, hook, [draft("asciminib", dose_mg=2500, per_day=2, ident="d-asc")], variants=T315I)
    card = _one_dose_card(body)
    assert "Raise" not in card["summary"] and "5000 mg/day" in card["summary"]
    assert not [a for a in _actions(card) if a["type"] == "create"]
    assert "200 mg twice daily" in card["detail"]  # the label's dose for T315I is said, not ordered


@pytest.mark.parametrize("hook", HOOKS)
def test_the_label_maximum_itself_passes(client: TestClient, hook: str) -> None:
    history = [_stopped("imatinib", "resistance", "ms-ima"), _stopped("dasatinib", "resistance", "ms-das")]
    body = _post(client, hook, [draft("ponatinib", dose_mg=45, ident="d-pon")], medications=history)
    assert not _dose_cards(body)
