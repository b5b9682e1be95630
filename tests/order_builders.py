"""Builders for the ordering hooks: draft MedicationRequests and order-select / order-sign requests."""

from __future__ import annotations

from typing import Any

from tests.builders import PATIENT, hook_request, next_id

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
HOOKS = ("order-select", "order-sign")
URLS = {"order-select": "/cds-services/cml-tki-order-select", "order-sign": "/cds-services/cml-tki-order-sign"}


def draft(
    drug: str,
    *,
    dose_mg: float | None = None,
    per_day: int = 1,
    dose_text: str | None = None,
    rxnorm: str | None = None,
    ident: str | None = None,
    patient: str = PATIENT,
    **extra: Any,
) -> dict[str, Any]:
    """A draft MedicationRequest, by name (or RxNorm), with a structured or a text dose."""
    concept: dict[str, Any] = {"text": drug}
    if rxnorm:
        concept["coding"] = [{"system": RXNORM, "code": rxnorm, "display": drug}]
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": ident or next_id("draft"),
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": concept,
        "subject": {"reference": f"Patient/{patient}"},
    }
    if dose_mg is not None:
        resource["dosageInstruction"] = [
            {
                "timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": dose_mg, "unit": "mg", "code": "mg"}}],
            }
        ]
    elif dose_text is not None:
        resource["dosageInstruction"] = [{"text": dose_text}]
    resource.update(extra)
    return resource


def order_request(
    hook: str,
    drafts: list[dict[str, Any]],
    *,
    selections: list[str] | None = None,
    others: list[dict[str, Any]] | None = None,
    **scenario: Any,
) -> dict[str, Any]:
    """An ordering-hook request: every prefetch key as on patient-view, the drafts in context.draftOrders.

    On order-select the selections default to every MedicationRequest draft.
    """
    request = hook_request(hook=hook, **scenario)
    entries = [{"resource": r} for r in [*drafts, *(others or [])]]
    request["context"]["draftOrders"] = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    if hook == "order-select":
        request["context"]["selections"] = (
            selections if selections is not None else [f"MedicationRequest/{d['id']}" for d in drafts]
        )
    return request


def finding(card: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = card["extension"]["org.cmlcds.finding"]
    return value


def codes(body: dict[str, Any]) -> list[str]:
    return [finding(c)["code"] for c in body["cards"]]
