"""`context.draftOrders` (order-select, order-sign) → typed `DraftOrder`s for the algorithm.

Only MedicationRequests are read; other request types (ServiceRequest, NutritionOrder …) are not about
drugs and are ignored. The drug is read as for any MedicationRequest (inline concept, or a reference to a
contained Medication or a Medication entry of the same Bundle; RxNorm, ATC, generic and brand names) and
the dose as order entry sends it (fhir_mapping/dosing.py): mg, or a count of tablets or capsules times
the strength from a Medication's `ingredient.strength` or the RxNorm clinical-drug name, or the sig text.
A dose that cannot be a TKI dose is kept with the reason (`dose_problem`), for a card about the draft.
A draft about another patient, without an id, or whose drug cannot be resolved is excluded and said so,
never silently dropped. A draft with no drug at all (no `medication[x]`: the clinician has not chosen one
yet, as the CDS Hooks Sandbox sends while its form is empty) holds no data to assess and is not an order
yet: it is passed over without a card.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from tki_resistance.model import Exclusion
from tki_resistance.ordering.orders import DraftOrder

from .dosing import daily_dose, strength_from_concept, strength_from_medication
from .exclusions import ExclusionLog
from .lax import read_resource
from .medications import (
    all_codes,
    first_display,
    medication_index,
    recognise_tki,
    referenced_medication,
    resolved_concept,
)
from .resources import CodeableConcept, Medication, MedicationRequest

__all__ = ["DraftOrders", "bundle_resources", "map_draft_orders"]


@dataclass(frozen=True)
class DraftOrders:
    """The usable drafts in Bundle order, the raw resources by reference, and what was set aside."""

    orders: tuple[DraftOrder, ...] = ()
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    exclusions: tuple[Exclusion, ...] = ()

    def named(self, references: Iterable[str]) -> tuple[DraftOrder, ...]:
        wanted = set(references)
        return tuple(order for order in self.orders if order.reference in wanted)


def bundle_resources(bundle: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The resources of the Bundle's entries (entries without a resource object carry nothing to read)."""
    entries = bundle.get("entry") or []
    return [e["resource"] for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)]


def _for_patient(raw: Mapping[str, Any], patient_id: str) -> bool:
    subject = raw.get("subject")
    reference = subject.get("reference") if isinstance(subject, dict) else None
    return isinstance(reference, str) and (
        reference == f"Patient/{patient_id}" or reference.endswith(f"/Patient/{patient_id}")
    )


def _readable_medication(raw: dict[str, Any], log: ExclusionLog) -> bool:
    """A Medication entry a draft may reference; an unreadable one is excluded (its drafts then are too)."""
    if raw.get("resourceType") != "Medication":
        return False
    try:
        read_resource(raw, Medication)
    except ValidationError as exc:
        first = exc.errors()[0]
        log.exclude(raw, f"not a valid FHIR R4 Medication: {first['loc']} {first['msg']}")
        return False
    return True


def _as_lists(raw: dict[str, Any]) -> dict[str, Any]:
    """`dosageInstruction` and its `doseAndRate` as arrays: the hook definitions' own examples write a lone
    object where FHIR JSON wants an array of one; its meaning is not in doubt."""
    dosage = raw.get("dosageInstruction")
    if isinstance(dosage, dict):
        dosage = [dosage]
    if isinstance(dosage, list):
        dosage = [
            {**d, "doseAndRate": [d["doseAndRate"]]}
            if isinstance(d, dict) and isinstance(d.get("doseAndRate"), dict)
            else d
            for d in dosage
        ]
        return {**raw, "dosageInstruction": dosage}
    return raw


def _request(raw: dict[str, Any], log: ExclusionLog) -> MedicationRequest | None:
    """The draft as a MedicationRequest; with an unreadable dosage, the drug still counts (the dose is not
    read and that is said); otherwise None, excluded with the first error."""
    try:
        return read_resource(_as_lists(raw), MedicationRequest)
    except ValidationError as exc:
        first = exc.errors()[0]
        if all(error["loc"][:1] == ("dosageInstruction",) for error in exc.errors()):
            log.exclude(raw, f"dosage not readable ({first['loc']} {first['msg']}): checked without its dose")
            try:
                return read_resource({k: v for k, v in raw.items() if k != "dosageInstruction"}, MedicationRequest)
            except ValidationError:  # pragma: no cover - the only errors were in the dosage
                return None
        log.exclude(raw, f"not a valid FHIR R4 MedicationRequest: {first['loc']} {first['msg']}")
        return None


def _names_a_drug(raw: Mapping[str, Any]) -> bool:
    """Whether the draft carries a `medication[x]` at all (an empty one is a form not yet filled in)."""
    return bool(raw.get("medicationCodeableConcept") or raw.get("medicationReference"))


def _strength(request: MedicationRequest, concept: CodeableConcept, medications: dict[str, Medication]) -> float | None:
    """mg per tablet or capsule: a referenced Medication's ingredient.strength (or its code's name), else the
    RxNorm clinical / branded drug name of the draft's concept ("nilotinib 150 MG Oral Capsule")."""
    medication = referenced_medication(request, medications)
    if medication is not None and (strength := strength_from_medication(medication)) is not None:
        return strength
    return strength_from_concept(concept)


def map_draft_orders(bundle: Mapping[str, Any], patient_id: str) -> DraftOrders:
    log = ExclusionLog()
    resources = bundle_resources(bundle)
    medications = medication_index([r for r in resources if _readable_medication(r, log)])
    orders: list[DraftOrder] = []
    raw_by_reference: dict[str, dict[str, Any]] = {}
    for raw in resources:
        if raw.get("resourceType") != "MedicationRequest" or not _names_a_drug(raw):
            continue
        if not raw.get("id"):
            log.exclude(raw, "draft order without an id: a card could not name it")
            continue
        if not _for_patient(raw, patient_id):
            log.exclude(raw, "draft order for another patient (subject is not the patient in context): ignored")
            continue
        request = _request(raw, log)
        if request is None:
            continue
        concept = resolved_concept(request, medications, log)
        if concept is None:
            continue
        reference = f"MedicationRequest/{request.id}"
        dose = daily_dose(request.dosageInstruction, _strength(request, concept, medications))
        orders.append(
            DraftOrder(
                reference=reference,
                name=first_display(concept),
                tki=recognise_tki(concept),
                codes=all_codes(concept),
                daily_dose_mg=dose.mg_per_day,
                doses_per_day=dose.doses_per_day,
                dose_text=dose.text,
                dose_missing=dose.missing,
                dose_problem=dose.problem,
                stated_mg_per_day=dose.stated_mg_per_day,
            )
        )
        raw_by_reference[reference] = raw
    return DraftOrders(tuple(orders), raw_by_reference, log.items)
