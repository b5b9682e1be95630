"""Suggestions that act on a drafted order: `delete` the draft and, where the right dose is unambiguous,
`create` the corrected MedicationRequest (status draft, same patient, same drug).

The algorithm says *whether* (`extra["withhold"]`) and *what dose* (`extra["replacementDose"]`); this
module only writes the CDS Hooks actions and the FHIR resource, from the draft the EHR sent.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from fhir_mapping.terminology import RXNORM, TKI_INGREDIENT_RXNORM, UCUM
from tki_resistance.findings import Finding

from .card_ids import name_uuid
from .models import Action, Card, Suggestion

__all__ = ["corrected_request", "with_order_suggestion"]

_NAMESPACE = uuid.UUID("0b7f6c1e-2f4d-4e0a-9a51-5b7e8c3d1f20")
_TIMES = {1: "once daily", 2: "twice daily", 3: "three times daily"}
_DROPPED = ("meta", "text", "identifier", "dispenseRequest")  # stale for a new order: the EHR fills them again


def corrected_request(draft: dict[str, Any], dose: dict[str, Any], patient_id: str, drug: str) -> dict[str, Any]:
    """A copy of the draft with the corrected dose: a new draft for the same patient and drug.

    A TKI is named by its RxNorm ingredient, not the drafted product: a product code carries a strength
    (e.g. a 40 mg tablet) that the corrected dose may not fit; the EHR picks the product.
    """
    mg, per_day = float(dose["mgPerDose"]), int(dose["dosesPerDay"])
    resource = {k: copy.deepcopy(v) for k, v in draft.items() if k not in _DROPPED}
    if drug in TKI_INGREDIENT_RXNORM:
        for key in ("medicationReference", "contained"):
            resource.pop(key, None)
        coding = [{"system": RXNORM, "code": TKI_INGREDIENT_RXNORM[drug], "display": drug}]
        resource["medicationCodeableConcept"] = {"coding": coding, "text": drug}
    resource["id"] = f"{draft.get('id', 'draft')}-corrected"
    resource["status"] = "draft"
    resource["intent"] = draft.get("intent") or "order"
    resource["subject"] = {"reference": f"Patient/{patient_id}"}
    resource["dosageInstruction"] = [
        {
            "text": f"{mg:g} mg {_TIMES.get(per_day, f'{per_day} times daily')}",
            "timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
            "doseAndRate": [{"doseQuantity": {"value": mg, "unit": "mg", "system": UCUM, "code": "mg"}}],
        }
    ]
    return resource


def with_order_suggestion(card: Card, finding: Finding, drafts: dict[str, dict[str, Any]], patient_id: str) -> Card:
    """The card with a suggestion that deletes the draft (and creates its correction) when it should not
    be signed as it stands; the card unchanged otherwise."""
    reference = finding.extra.get("order")
    if not finding.extra.get("withhold") or not isinstance(reference, str) or reference not in drafts:
        return card
    draft = drafts[reference]
    name = str(finding.extra.get("drug") or "this drug")
    actions = [Action(type="delete", description=f"Remove the draft order for {name}", resourceId=reference)]
    label = f"Remove the draft order for {name}"
    dose = finding.extra.get("replacementDose")
    if isinstance(dose, dict):
        resource = corrected_request(draft, dose, patient_id, name)
        text = resource["dosageInstruction"][0]["text"]
        actions.append(Action(type="create", description=f"Order {name} {text} instead", resource=resource))
        label = f"Replace with {name} {text}"
    suggestion = Suggestion(
        label=label,
        uuid=name_uuid(_NAMESPACE, f"{card.uuid}:{reference}"),
        isRecommended=True,
        actions=actions,
    )
    return card.model_copy(
        update={"suggestions": [*(card.suggestions or []), suggestion], "selectionBehavior": "at-most-one"}
    )
