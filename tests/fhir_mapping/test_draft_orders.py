"""context.draftOrders → DraftOrder: drug, dose, this patient only, nothing dropped in silence."""

from __future__ import annotations

from typing import Any

from fhir_mapping.draft_orders import map_draft_orders
from tests.order_builders import draft


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "entry": [{"resource": r} for r in resources]}


def test_a_tki_draft_with_a_text_dose() -> None:
    drafts = map_draft_orders(_bundle(draft("Scemblix", dose_text="40 mg BID", ident="a")), "cml-1")
    (order,) = drafts.orders
    assert (order.reference, order.tki, order.daily_dose_mg, order.doses_per_day) == (
        "MedicationRequest/a",
        "asciminib",
        80,
        2,
    )
    assert drafts.resources["MedicationRequest/a"]["id"] == "a"
    assert drafts.exclusions == ()


def test_a_non_tki_draft_keeps_its_codes_for_interaction_matching() -> None:
    drafts = map_draft_orders(_bundle(draft("Omeprazole 20 MG", rxnorm="7646", ident="p")), "cml-1")
    (order,) = drafts.orders
    assert order.tki is None and order.name == "Omeprazole 20 MG"
    assert "http://www.nlm.nih.gov/research/umls/rxnorm|7646" in order.codes


def test_unusable_drafts_are_excluded_with_their_reason() -> None:
    no_id = draft("imatinib", ident="x")
    del no_id["id"]
    unresolvable = draft("imatinib", ident="u")
    del unresolvable["medicationCodeableConcept"]
    unresolvable["medicationReference"] = {"reference": "Medication/nowhere"}
    other = draft("imatinib", ident="o", patient="someone-else")
    drafts = map_draft_orders(_bundle(no_id, unresolvable, other), "cml-1")
    assert drafts.orders == ()
    reasons = {e.reference: e.reason for e in drafts.exclusions}
    assert "without an id" in reasons["MedicationRequest (no id)"]
    assert "not resolvable" in reasons["MedicationRequest/u"]
    assert "another patient" in reasons["MedicationRequest/o"]


def test_other_request_types_are_not_read() -> None:
    nutrition = {
        "resourceType": "NutritionOrder",
        "id": "n",
        "status": "draft",
        "patient": {"reference": "Patient/cml-1"},
    }
    drafts = map_draft_orders(_bundle(nutrition), "cml-1")
    assert drafts.orders == () and drafts.exclusions == ()


def test_an_absolute_subject_reference_is_this_patient() -> None:
    order = draft("dasatinib", ident="d", subject={"reference": "https://ehr.example.org/fhir/Patient/cml-1"})
    assert [o.tki for o in map_draft_orders(_bundle(order), "cml-1").orders] == ["dasatinib"]


def test_a_lone_dose_object_is_read_as_the_array_of_one_it_means() -> None:
    order = draft("asciminib", ident="a")
    order["dosageInstruction"] = {
        "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
        "doseAndRate": {"doseQuantity": {"value": 40, "unit": "mg", "code": "mg"}},
    }
    drafts = map_draft_orders(_bundle(order), "cml-1")
    assert [(o.daily_dose_mg, o.doses_per_day) for o in drafts.orders] == [(80, 2)]
    assert drafts.exclusions == ()


def test_an_unreadable_dosage_keeps_the_drug_and_says_the_dose_was_not_read() -> None:
    order = draft("dasatinib", ident="d", dosageInstruction=[{"doseAndRate": "100 mg"}])
    drafts = map_draft_orders(_bundle(order), "cml-1")
    assert [(o.tki, o.daily_dose_mg) for o in drafts.orders] == [("dasatinib", None)]
    (exclusion,) = drafts.exclusions
    assert exclusion.reference == "MedicationRequest/d" and "checked without its dose" in exclusion.reason
