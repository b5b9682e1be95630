"""order-select and order-sign through HTTP: every finding at ordering fires, and does not, at both hooks."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import TODAY, bcr_abl1, condition, days_after, kd_variant, tki_statement
from tests.order_builders import HOOKS, URLS, codes, draft, finding, order_request

START = days_after(TODAY, -13)
T315I = [kd_variant(days_after(START, 12), "Thr315Ile", vaf=0.4, ident="v-t315i")]


def _post(client: TestClient, hook: str, drafts: list[dict[str, Any]], **scenario: Any) -> dict[str, Any]:
    response = client.post(URLS[hook], json=order_request(hook, drafts, **scenario))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _cards(body: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [c for c in body["cards"] if finding(c)["code"] == code]


def _one(body: dict[str, Any], code: str) -> dict[str, Any]:
    cards = _cards(body, code)
    assert len(cards) == 1, codes(body)
    return cards[0]


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for s in card.get("suggestions") or [] for a in s["actions"]]


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


def _comedication(name: str, ident: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": ident,
        "status": "active",
        "medicationCodeableConcept": {"text": name},
        "subject": {"reference": "Patient/cml-1"},
        "effectivePeriod": {"start": START.isoformat()},
    }


# --- nothing to say ---------------------------------------------------------------------------------


@pytest.mark.parametrize("hook", HOOKS)
def test_a_fitting_tki_for_a_patient_without_conflicting_data_gives_no_cards(client: TestClient, hook: str) -> None:
    body = _post(client, hook, [draft("imatinib", dose_mg=400, ident="d-ima")])
    assert body["cards"] == []


@pytest.mark.parametrize("hook", HOOKS)
def test_a_continued_tki_at_its_dose_gives_no_cards(client: TestClient, hook: str) -> None:
    on_dasatinib = [tki_statement("dasatinib", START, dose_mg=100, ident="ms-das")]
    transcripts = [bcr_abl1(days_after(START, 3), 5.0), bcr_abl1(days_after(START, 12), 0.08)]
    body = _post(
        client,
        hook,
        [draft("dasatinib", dose_mg=100, ident="d-das")],
        medications=on_dasatinib,
        transcripts=transcripts,
    )
    assert body["cards"] == []


# --- avoid-tki --------------------------------------------------------------------------------------


@pytest.mark.parametrize("hook", HOOKS)
def test_avoid_tki_when_the_ordered_tki_is_excluded_by_a_mutation(client: TestClient, hook: str) -> None:
    body = _post(client, hook, [draft("dasatinib", dose_mg=100, ident="d-das")], variants=T315I)
    card = _one(body, "avoid-tki")
    data = finding(card)
    assert card["indicator"] == "critical"
    assert data["order"] == "MedicationRequest/d-das"
    assert "dasatinib" in data["avoid"] and data["avoid"] == sorted(data["avoid"])
    assert data["mutations"] == ["T315I"]
    assert _actions(card) == [
        {
            "type": "delete",
            "description": "Remove the draft order for dasatinib",
            "resourceId": "MedicationRequest/d-das",
        }
    ]
    assert card["selectionBehavior"] == "at-most-one"
    assert card["overrideReasons"]


@pytest.mark.parametrize("hook", HOOKS)
def test_no_avoid_tki_for_a_tki_the_mutations_leave(client: TestClient, hook: str) -> None:
    body = _post(client, hook, [draft("ponatinib", dose_mg=45, ident="d-pon")], variants=T315I)
    assert "avoid-tki" not in codes(body)


# --- prior-failure ----------------------------------------------------------------------------------


@pytest.mark.parametrize("hook", HOOKS)
def test_prior_failure_when_the_ordered_tki_was_stopped_for_resistance(client: TestClient, hook: str) -> None:
    history = [_stopped("imatinib", "loss of response (resistance)", "ms-ima"), tki_statement("dasatinib", START)]
    body = _post(client, hook, [draft("imatinib", dose_mg=400, ident="d-ima")], medications=history)
    card = _one(body, "prior-failure")
    assert card["indicator"] == "warning"
    assert finding(card)["order"] == "MedicationRequest/d-ima"
    assert "loss of response" in card["detail"]
    assert [a["type"] for a in _actions(card)] == ["delete"]


@pytest.mark.parametrize("hook", HOOKS)
def test_intolerance_is_not_failure_but_is_said_with_its_reason(client: TestClient, hook: str) -> None:
    history = [_stopped("dasatinib", "pleural effusion (intolerance)", "ms-das"), tki_statement("nilotinib", START)]
    body = _post(client, hook, [draft("dasatinib", dose_mg=100, ident="d-das")], medications=history)
    assert "prior-failure" not in codes(body)
    card = _one(body, "comorbidity-caution")
    assert finding(card)["stopReason"] == "intolerance"
    assert card["indicator"] == "info"
    assert "pleural effusion" in card["summary"]
    assert not card.get("suggestions")


# --- dose-check -------------------------------------------------------------------------------------


@pytest.mark.parametrize("hook", HOOKS)
def test_asciminib_below_200_mg_bid_with_t315i_is_replaced_by_the_right_dose(client: TestClient, hook: str) -> None:
    body = _post(client, hook, [draft("asciminib", dose_mg=40, per_day=2, ident="d-asc")], variants=T315I)
    card = _one(body, "dose-check")
    assert finding(card)["order"] == "MedicationRequest/d-asc"
    delete, create = _actions(card)
    assert delete == {
        "type": "delete",
        "description": "Remove the draft order for asciminib",
        "resourceId": "MedicationRequest/d-asc",
    }
    resource = create["resource"]
    assert create["type"] == "create"
    assert resource["resourceType"] == "MedicationRequest" and resource["status"] == "draft"
    assert resource["subject"] == {"reference": "Patient/cml-1"}
    assert resource["medicationCodeableConcept"]["coding"][0]["code"] == "2584304"  # the ingredient
    dosage = resource["dosageInstruction"][0]
    assert dosage["doseAndRate"][0]["doseQuantity"]["value"] == 200
    assert dosage["timing"]["repeat"]["frequency"] == 2


@pytest.mark.parametrize("hook", HOOKS)
def test_asciminib_200_mg_bid_with_t315i_passes(client: TestClient, hook: str) -> None:
    body = _post(client, hook, [draft("asciminib", dose_text="200 mg twice daily", ident="d-asc")], variants=T315I)
    assert "dose-check" not in codes(body)


def _ponatinib_scenario(latest: float, **extra: Any) -> dict[str, Any]:
    return {
        "medications": [tki_statement("nilotinib", START, dose_mg=800, per_day=2, ident="ms-nil")],
        "transcripts": [bcr_abl1(days_after(START, 3), 8.0), bcr_abl1(days_after(START, 12), latest)],
        **extra,
    }


@pytest.mark.parametrize("hook", HOOKS)
def test_ponatinib_45_mg_when_already_at_most_1pct_is_replaced_by_15_mg(client: TestClient, hook: str) -> None:
    body = _post(
        client, hook, [draft("Iclusig", dose_text="45 mg once daily", ident="d-pon")], **_ponatinib_scenario(0.8)
    )
    card = _one(body, "dose-check")
    create = _actions(card)[1]
    assert create["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 15


@pytest.mark.parametrize("hook", HOOKS)
@pytest.mark.parametrize(
    "scenario",
    [
        _ponatinib_scenario(5.0),
        _ponatinib_scenario(
            0.8, conditions=[condition(None, "Chronic myeloid leukaemia in blast phase", icd10="C92.10")]
        ),
    ],
    ids=["above-1pct", "blast-phase"],
)
def test_ponatinib_45_mg_above_1pct_or_in_blast_phase_passes(
    client: TestClient, hook: str, scenario: dict[str, Any]
) -> None:
    body = _post(client, hook, [draft("ponatinib", dose_mg=45, ident="d-pon")], **scenario)
    assert "dose-check" not in codes(body)


@pytest.mark.parametrize("hook", HOOKS)
def test_a_draft_not_to_be_signed_gets_no_corrected_dose_of_the_same_drug(client: TestClient, hook: str) -> None:
    """T315I excludes dasatinib: "do not sign" and "replace with dasatinib 100 mg" would be two stories (the
    Sandbox showed both for dasatinib 140 mg in chronic phase)."""
    body = _post(client, hook, [draft("dasatinib", dose_mg=140, ident="d-das")], variants=T315I)
    assert finding(_one(body, "avoid-tki"))["withhold"] is True
    assert "dose-check" not in codes(body)


@pytest.mark.parametrize("hook", HOOKS)
def test_the_advanced_phase_dose_in_chronic_phase_is_replaced(client: TestClient, hook: str) -> None:
    body = _post(client, hook, [draft("dasatinib", dose_mg=140, ident="d-das")])
    card = _one(body, "dose-check")
    assert "dose.dasatinib.first.chronic" in finding(card)["rules"]
    dose = _actions(card)[1]["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"]
    assert dose == 100


@pytest.mark.parametrize("hook", HOOKS)
def test_the_first_line_dose_in_a_later_line_is_replaced(client: TestClient, hook: str) -> None:
    history = [_stopped("imatinib", "loss of response", "ms-ima")]
    body = _post(client, hook, [draft("nilotinib", dose_mg=300, per_day=2, ident="d-nil")], medications=history)
    card = _one(body, "dose-check")
    dosage = _actions(card)[1]["resource"]["dosageInstruction"][0]
    assert dosage["doseAndRate"][0]["doseQuantity"]["value"] == 400
    assert dosage["timing"]["repeat"]["frequency"] == 2


@pytest.mark.parametrize("hook", HOOKS)
def test_the_right_dose_for_line_and_phase_passes(client: TestClient, hook: str) -> None:
    history = [_stopped("imatinib", "loss of response", "ms-ima")]
    body = _post(client, hook, [draft("nilotinib", dose_mg=400, per_day=2, ident="d-nil")], medications=history)
    assert "dose-check" not in codes(body)


LIVER = [condition("19943007", "Cirrhosis of liver", ident="c-liver")]
KIDNEY = [condition("709044004", "Chronic kidney disease", ident="c-kidney")]


@pytest.mark.parametrize("hook", HOOKS)
def test_bosutinib_starting_dose_in_hepatic_impairment_is_replaced_by_200_mg(client: TestClient, hook: str) -> None:
    body = _post(client, hook, [draft("bosutinib", dose_mg=400, ident="d-bos")], conditions=LIVER)
    card = _one(body, "dose-check")
    assert _actions(card)[1]["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 200
    assert "comorbidity-caution" in codes(body)  # the label caution is its own card


@pytest.mark.parametrize("hook", HOOKS)
def test_ponatinib_starting_dose_in_hepatic_impairment_is_replaced_by_30_mg(client: TestClient, hook: str) -> None:
    history = [_stopped("imatinib", "resistance", "ms-ima"), _stopped("dasatinib", "resistance", "ms-das")]
    body = _post(client, hook, [draft("ponatinib", dose_mg=45, ident="d-pon")], conditions=LIVER, medications=history)
    card = _one(body, "dose-check")
    assert _actions(card)[1]["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 30


@pytest.mark.parametrize("hook", HOOKS)
def test_bosutinib_with_kidney_disease_asks_for_the_creatinine_clearance(client: TestClient, hook: str) -> None:
    body = _post(client, hook, [draft("bosutinib", dose_mg=400, ident="d-bos")], conditions=KIDNEY)
    card = _one(body, "dose-check")
    assert "CrCl" in card["detail"] and not card.get("suggestions")  # the right dose depends on the clearance


@pytest.mark.parametrize("hook", HOOKS)
@pytest.mark.parametrize(
    ("dose", "conditions"), [(200, LIVER), (300, KIDNEY), (400, [])], ids=["liver", "kidney", "none"]
)
def test_bosutinib_at_the_impairment_dose_or_without_impairment_passes(
    client: TestClient, hook: str, dose: int, conditions: list[dict[str, Any]]
) -> None:
    body = _post(client, hook, [draft("bosutinib", dose_mg=dose, ident="d-bos")], conditions=conditions)
    assert "dose-check" not in codes(body)


# --- drug-interaction -------------------------------------------------------------------------------


@pytest.mark.parametrize("hook", HOOKS)
def test_an_ordered_tki_meets_a_current_co_medication(client: TestClient, hook: str) -> None:
    body = _post(
        client,
        hook,
        [draft("dasatinib", dose_mg=100, ident="d-das")],
        medications=[_comedication("omeprazole", "ms-ome")],
    )
    card = _one(body, "drug-interaction")
    data = finding(card)
    assert card["indicator"] == "warning" and data["order"] == "MedicationRequest/d-das"
    assert data["interactions"][0]["action"] == "avoid" and data["interactions"][0]["class"] == "proton-pump-inhibitor"
    assert "antacid" in card["detail"]
    assert not card.get("suggestions")  # the co-medication may be the one to change


@pytest.mark.parametrize("hook", HOOKS)
@pytest.mark.parametrize(
    ("drafted", "tki", "drug_class"),
    [
        ("omeprazole 20 mg", "dasatinib", "proton-pump-inhibitor"),
        ("clarithromycin", "nilotinib", "strong-cyp3a4-inhibitor"),
        ("rifampicin", "dasatinib", "strong-cyp3a4-inducer"),
        ("ondansetron", "nilotinib", "qt-prolonging"),
    ],
)
def test_an_ordered_drug_meets_the_current_tki(
    client: TestClient, hook: str, drafted: str, tki: str, drug_class: str
) -> None:
    current = [tki_statement(tki, START, dose_mg=100, ident="ms-tki")]
    body = _post(client, hook, [draft(drafted, ident="d-co")], medications=current)
    card = _one(body, "drug-interaction")
    data = finding(card)
    assert data["order"] == "MedicationRequest/d-co"
    assert drug_class in {i["class"] for i in data["interactions"]}
    assert data["actions"] == ["avoid"] and card["indicator"] == "warning"
    assert _actions(card) == [
        {
            "type": "delete",
            "description": f"Remove the draft order for {drafted}",
            "resourceId": "MedicationRequest/d-co",
        }
    ]


@pytest.mark.parametrize("hook", HOOKS)
def test_a_qt_prolonging_drug_with_nilotinib_says_ecg(client: TestClient, hook: str) -> None:
    current = [tki_statement("nilotinib", START, dose_mg=800, per_day=2, ident="ms-nil")]
    body = _post(client, hook, [draft("ondansetron", ident="d-co")], medications=current)
    assert "ECG" in _one(body, "drug-interaction")["detail"]


@pytest.mark.parametrize("hook", HOOKS)
def test_a_separate_interaction_is_info_and_keeps_the_order(client: TestClient, hook: str) -> None:
    current = [tki_statement("nilotinib", START, dose_mg=800, per_day=2, ident="ms-nil")]
    body = _post(client, hook, [draft("famotidine", ident="d-co")], medications=current)
    card = _one(body, "drug-interaction")
    assert finding(card)["actions"] == ["separate"] and card["indicator"] == "info"
    assert not card.get("suggestions")


@pytest.mark.parametrize("hook", HOOKS)
@pytest.mark.parametrize(
    ("drafted", "current"), [("paracetamol", "nilotinib"), ("omeprazole", "imatinib")], ids=["no-class", "no-row"]
)
def test_no_interaction_no_card(client: TestClient, hook: str, drafted: str, current: str) -> None:
    on_tki = [tki_statement(current, START, dose_mg=400, ident="ms-tki")]
    body = _post(client, hook, [draft(drafted, ident="d-co")], medications=on_tki)
    assert "drug-interaction" not in codes(body)


def test_a_pair_of_drafts_is_told_once_at_order_sign(client: TestClient) -> None:
    drafts = [draft("dasatinib", dose_mg=100, ident="d-das"), draft("esomeprazole", ident="d-ppi")]
    body = _post(client, "order-sign", drafts)
    cards = _cards(body, "drug-interaction")
    assert [finding(c)["order"] for c in cards] == ["MedicationRequest/d-das"]


def test_a_drafted_ppi_selected_beside_an_unselected_drafted_tki(client: TestClient) -> None:
    drafts = [draft("dasatinib", dose_mg=100, ident="d-das"), draft("esomeprazole", ident="d-ppi")]
    body = _post(client, "order-select", drafts, selections=["MedicationRequest/d-ppi"])
    card = _one(body, "drug-interaction")
    assert finding(card)["order"] == "MedicationRequest/d-ppi"


# --- comorbidity-caution ----------------------------------------------------------------------------


@pytest.mark.parametrize("hook", HOOKS)
def test_a_boxed_warning_meets_a_recorded_comorbidity(client: TestClient, hook: str) -> None:
    history = [_stopped("imatinib", "resistance", "ms-ima"), _stopped("dasatinib", "resistance", "ms-das")]
    coronary = [condition("53741008", "Coronary arteriosclerosis", ident="c-cad")]
    body = _post(
        client, hook, [draft("ponatinib", dose_mg=45, ident="d-pon")], conditions=coronary, medications=history
    )
    card = _one(body, "comorbidity-caution")
    assert card["indicator"] == "warning" and finding(card)["order"] == "MedicationRequest/d-pon"


@pytest.mark.parametrize("hook", HOOKS)
def test_no_comorbidity_no_caution(client: TestClient, hook: str) -> None:
    history = [_stopped("imatinib", "resistance", "ms-ima"), _stopped("dasatinib", "resistance", "ms-das")]
    body = _post(client, hook, [draft("ponatinib", dose_mg=45, ident="d-pon")], medications=history)
    assert "comorbidity-caution" not in codes(body)


# --- which drafts, whose drafts ---------------------------------------------------------------------


def test_order_select_speaks_only_about_the_selections(client: TestClient) -> None:
    drafts = [draft("dasatinib", dose_mg=100, ident="d-das"), draft("paracetamol", ident="d-par")]
    body = _post(client, "order-select", drafts, selections=["MedicationRequest/d-par"], variants=T315I)
    assert body["cards"] == []
    body = _post(client, "order-sign", drafts, variants=T315I)
    assert [finding(c)["order"] for c in _cards(body, "avoid-tki")] == ["MedicationRequest/d-das"]


@pytest.mark.parametrize("hook", HOOKS)
def test_another_patients_draft_is_ignored_and_said(client: TestClient, hook: str) -> None:
    other = draft("dasatinib", dose_mg=100, ident="d-other", patient="someone-else")
    body = _post(client, hook, [other], variants=T315I)
    assert codes(body) == ["data-excluded"]
    assert "MedicationRequest/d-other" in body["cards"][0]["detail"]
    assert "another patient" in body["cards"][0]["detail"]


@pytest.mark.parametrize("hook", HOOKS)
def test_other_request_types_are_ignored(client: TestClient, hook: str) -> None:
    service_request = {
        "resourceType": "ServiceRequest",
        "id": "sr-1",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/cml-1"},
        "code": {"text": "BCR::ABL1 qPCR"},
    }
    drafts = [draft("imatinib", dose_mg=400, ident="d-ima")]
    request = order_request(hook, drafts, others=[service_request], variants=[])
    if hook == "order-select":
        request["context"]["selections"].append("ServiceRequest/sr-1")
    response = client.post(URLS[hook], json=request)
    assert response.status_code == 200 and response.json()["cards"] == []


# --- drafts as EHRs send them -----------------------------------------------------------------------


@pytest.mark.parametrize("hook", HOOKS)
@pytest.mark.parametrize(
    "shape",
    ["contained-rxnorm", "bundle-entry-atc", "brand-name", "rxnorm-product"],
)
def test_the_drug_is_read_however_the_draft_names_it(client: TestClient, hook: str, shape: str) -> None:
    medication_code = {
        "contained-rxnorm": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "475342"}]},
        "bundle-entry-atc": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01EA02"}]},
    }
    others: list[dict[str, Any]] = []
    if shape == "contained-rxnorm":
        order = draft("x", dose_mg=100, ident="d-das")
        del order["medicationCodeableConcept"]
        order["contained"] = [{"resourceType": "Medication", "id": "med", "code": medication_code[shape]}]
        order["medicationReference"] = {"reference": "#med"}
    elif shape == "bundle-entry-atc":
        order = draft("x", dose_mg=100, ident="d-das")
        del order["medicationCodeableConcept"]
        order["medicationReference"] = {"reference": "Medication/med-das"}
        others = [{"resourceType": "Medication", "id": "med-das", "code": medication_code[shape]}]
    elif shape == "brand-name":
        order = draft("Sprycel 100 mg tablet", dose_text="100 mg once daily", ident="d-das")
    else:
        order = draft("Dasatinib 100 MG Oral Tablet", rxnorm="643109", dose_mg=100, ident="d-das")
    request = order_request(hook, [order], others=others, variants=T315I)
    body = client.post(URLS[hook], json=request).json()
    card = _one(body, "avoid-tki")
    assert finding(card)["order"] == "MedicationRequest/d-das"


# --- bad context ------------------------------------------------------------------------------------


@pytest.mark.parametrize("hook", HOOKS)
@pytest.mark.parametrize(
    "breakage",
    ["no-draft-orders", "not-a-bundle", "no-user", "wrong-hook"],
)
def test_bad_context_answers_400(client: TestClient, hook: str, breakage: str) -> None:
    request = order_request(hook, [draft("imatinib", dose_mg=400, ident="d-ima")])
    if breakage == "no-draft-orders":
        del request["context"]["draftOrders"]
    elif breakage == "not-a-bundle":
        request["context"]["draftOrders"] = {"resourceType": "MedicationRequest"}
    elif breakage == "no-user":
        del request["context"]["userId"]
    else:
        request["hook"] = "patient-view"
    response = client.post(URLS[hook], json=request)
    assert response.status_code == 400, response.text
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("selections", [None, [], ["MedicationRequest/not-there"]], ids=["missing", "empty", "unknown"])
def test_order_select_needs_selections_from_the_draft_orders(client: TestClient, selections: list[str] | None) -> None:
    request = order_request("order-select", [draft("imatinib", dose_mg=400, ident="d-ima")])
    if selections is None:
        del request["context"]["selections"]
    else:
        request["context"]["selections"] = selections
    response = client.post(URLS["order-select"], json=request)
    assert response.status_code == 400, response.text


def test_discovery_lists_both_ordering_services_with_the_patient_view_prefetch(client: TestClient) -> None:
    services = {s["id"]: s for s in client.get("/cds-services").json()["services"]}
    assert services["cml-tki-order-select"]["hook"] == "order-select"
    assert services["cml-tki-order-sign"]["hook"] == "order-sign"
    prefetch = services["cml-tki-resistance"]["prefetch"]
    assert services["cml-tki-order-select"]["prefetch"] == prefetch == services["cml-tki-order-sign"]["prefetch"]


@pytest.mark.parametrize("hook", HOOKS)
def test_the_correction_of_a_product_draft_names_the_ingredient_not_the_product(client: TestClient, hook: str) -> None:
    order = draft("x", dose_mg=40, per_day=2, ident="d-asc")
    del order["medicationCodeableConcept"]
    order["contained"] = [
        {"resourceType": "Medication", "id": "m", "code": {"text": "Scemblix 40 mg film-coated tablet"}}
    ]
    order["medicationReference"] = {"reference": "#m"}
    order["note"] = [{"text": "kept"}]
    body = _post(client, hook, [order], variants=T315I)
    resource = _actions(_one(body, "dose-check"))[1]["resource"]
    assert "contained" not in resource and "medicationReference" not in resource
    assert resource["medicationCodeableConcept"]["text"] == "asciminib"
    assert resource["note"] == [{"text": "kept"}] and resource["id"] != "d-asc"


@pytest.mark.parametrize("hook", HOOKS)
def test_optional_data_not_provided_is_said_at_ordering(client: TestClient, hook: str) -> None:
    request = order_request(hook, [draft("ponatinib", dose_mg=45, ident="d-pon")])
    del request["prefetch"]["conditions"]
    body = client.post(URLS[hook], json=request).json()
    card = _one(body, "not-assessable")
    assert "conditions" in card["summary"]  # the comorbidity cautions could not be checked


# --- what an EHR shows first, and a form not yet filled in ---------------------------------------------

_URGENCY = {"critical": 0, "warning": 1, "info": 2}


def test_cards_come_most_urgent_first_across_drafts(client: TestClient) -> None:
    """A critical card about the second draft comes before a warning about the first: an EHR may not re-sort."""
    history = [_stopped("imatinib", "loss of response (resistance)", "ms-ima"), tki_statement("nilotinib", START)]
    drafts = [draft("imatinib", dose_mg=400, ident="d-ima"), draft("dasatinib", dose_mg=100, ident="d-das")]
    body = _post(client, "order-sign", drafts, medications=history, variants=T315I)
    indicators = [card["indicator"] for card in body["cards"]]
    assert indicators == sorted(indicators, key=_URGENCY.__getitem__), codes(body)
    assert {finding(c)["order"] for c in body["cards"] if c["indicator"] == "critical"} == {
        "MedicationRequest/d-ima",
        "MedicationRequest/d-das",
    }
    assert finding(body["cards"][-1])["code"] == "prior-failure"


@pytest.mark.parametrize("hook", HOOKS)
def test_a_draft_with_no_drug_chosen_yet_gives_no_card(client: TestClient, hook: str) -> None:
    """The CDS Hooks Sandbox fires order-select with an empty draft before a drug is picked: nothing to judge."""
    empty = draft("placeholder", ident="d-empty")
    del empty["medicationCodeableConcept"]
    body = _post(client, hook, [empty], variants=T315I)
    assert body["cards"] == []
