"""Draft MedicationRequests as order entry sends them, for the ordering hooks' dose tests (issue #24).

The shapes are quoted as data (no code copied):

- **CDS Hooks Sandbox, Rx View** (github.com/cds-hooks/sandbox, `src/reducers/medication-reducers.js`,
  `createFhirResource`, as of commit 3b7e255, 2026; the hook context from `src/components/RxView/rx-view.jsx`
  and `src/components/RxSign/rx-sign.jsx`): for FHIR ≥ 4.0.0 the draft is
  `{"resourceType": "MedicationRequest", "id": "request-123", "status": "draft",
    "subject": {"reference": "Patient/<id>"}, "authoredOn": "<YYYY-MM-DD>",
    "dosageInstruction": [{"timing": {"repeat": {"frequency": <1|2|3|4>, "period": 1, "periodUnit": "d"}},
                           "doseAndRate": [{"doseQuantity": {"value": <n>, "system": "http://unitsofmeasure.org",
                                                             "code": "{pill}"}}]}],
    "dispenseRequest": {"expectedSupplyDuration": {"value": 30, "unit": "days",
                                                   "system": "http://unitsofmeasure.org", "code": "d"}},
    "intent": "order",
    "category": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
                             "code": "community"}]},
    "medicationCodeableConcept": {"text": "<RxNorm name>", "coding": [{"display": "<RxNorm name>",
        "system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "<RxCUI>"}]}}`
  in `context.draftOrders = {"resourceType": "Bundle", "entry": [{"resource": <draft>}]}` (no Bundle type),
  with `selections: ["MedicationRequest/request-123"]` at order-select. Frequencies: daily 1, bid 2, tid 3,
  qid 4. The strength is only in the name; `doseQuantity` has no `unit`. `category` is an object, not the
  array R4 asks for. The Sandbox's RxNorm list (`src/assets/medication-list.js`) has imatinib, dasatinib,
  nilotinib, bosutinib and ponatinib products (e.g. 997653 "nilotinib 150 MG Oral Capsule", 1045402
  "dasatinib 140 MG Oral Tablet", 1364360 "ponatinib 45 MG Oral Tablet") but predates asciminib: the
  asciminib draft below has the same shape with an SCD-style name and no code.
- **Oracle Health (Cerner Millennium) style**: a dose as a count, `{"value": 1, "unit": "tab(s)", "system":
  "http://unitsofmeasure.org", "code": "{tbl}"}`, and a sig text "1 tab(s), Oral, Daily" (the unit and
  code as in Cerner's public sandbox examples found with the search tool; their CDS Hooks draft examples
  were not found, so the rest of the resource is the R4 order-sign shape).
- **Epic style**: `medicationReference` to a Medication elsewhere in the Bundle (or contained) that carries
  `ingredient.strength` (mg per tablet), a count in "tablet", `timing.code.text`, and the sig in
  `patientInstruction`. Epic's public CDS Hooks examples were not found with the search tool: this shape
  is assembled from the FHIR R4 elements Epic documents for MedicationRequest, not quoted.
"""

from __future__ import annotations

from typing import Any

from tests.builders import PATIENT

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
SANDBOX_FREQUENCIES = {"daily": 1, "bid": 2, "tid": 3, "qid": 4}


def sandbox_draft(
    name: str, rxcui: str | None, number: float, frequency: str = "daily", *, ident: str = "request-123"
) -> dict[str, Any]:
    """The Sandbox Rx View's R4 draft for `name` (its RxNorm prescribable), `number` pills `frequency`."""
    coding: dict[str, Any] = {"display": name, "system": RXNORM}
    if rxcui is not None:
        coding["code"] = rxcui
    return {
        "resourceType": "MedicationRequest",
        "id": ident,
        "status": "draft",
        "subject": {"reference": f"Patient/{PATIENT}"},
        "authoredOn": "2026-11-22",
        "dosageInstruction": [
            {
                "timing": {"repeat": {"frequency": SANDBOX_FREQUENCIES[frequency], "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": number, "system": UCUM, "code": "{pill}"}}],
            }
        ],
        "dispenseRequest": {"expectedSupplyDuration": {"value": 30, "unit": "days", "system": UCUM, "code": "d"}},
        "intent": "order",
        "category": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category", "code": "community"}
            ]
        },
        "medicationCodeableConcept": {"text": name, "coding": [coding]},
    }


def sandbox_bundle(*drafts: dict[str, Any]) -> dict[str, Any]:
    """`context.draftOrders` as the Sandbox sends it: a Bundle without `type`."""
    return {"resourceType": "Bundle", "entry": [{"resource": d} for d in drafts]}


def oracle_draft(name: str, count: float, ident: str, *, sig: str = "1 tab(s), Oral, Daily") -> dict[str, Any]:
    """Oracle Health style: the dose a count in tab(s) / {tbl}, a daily timing code, the sig text."""
    return {
        "resourceType": "MedicationRequest",
        "id": ident,
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{PATIENT}"},
        "medicationCodeableConcept": {"text": name, "coding": [{"system": RXNORM, "display": name}]},
        "dosageInstruction": [
            {
                "text": sig,
                "timing": {"code": {"text": "Daily"}},
                "doseAndRate": [{"doseQuantity": {"value": count, "unit": "tab(s)", "system": UCUM, "code": "{tbl}"}}],
            }
        ],
    }


def epic_medication(ident: str, name: str, mg_per_tablet: float) -> dict[str, Any]:
    """A Medication with its strength in `ingredient.strength` (mg per tablet)."""
    return {
        "resourceType": "Medication",
        "id": ident,
        "code": {"text": name},
        "ingredient": [
            {
                "itemCodeableConcept": {"text": name.split()[0]},
                "strength": {
                    "numerator": {"value": mg_per_tablet, "unit": "mg", "system": UCUM, "code": "mg"},
                    "denominator": {"value": 1, "unit": "tablet", "system": UCUM, "code": "{tbl}"},
                },
            }
        ],
    }


def epic_draft(
    reference: str, count: float, timing_text: str, ident: str, *, contained: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Epic style: medicationReference (to a Bundle entry, or `#id` with `contained`), a count of tablets,
    `timing.code.text`, the sig in `patientInstruction`."""
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": ident,
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{PATIENT}"},
        "medicationReference": {"reference": reference},
        "dosageInstruction": [
            {
                "patientInstruction": f"Take {count:g} tablet(s) by mouth {timing_text.lower()}.",
                "timing": {"code": {"text": timing_text}},
                "doseAndRate": [
                    {
                        "type": {"coding": [{"code": "ordered", "display": "Ordered"}]},
                        "doseQuantity": {"value": count, "unit": "tablet", "system": UCUM, "code": "{tbl}"},
                    }
                ],
            }
        ],
    }
    if contained is not None:
        resource["contained"] = contained
    return resource
