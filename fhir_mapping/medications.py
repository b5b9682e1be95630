"""MedicationStatement / MedicationRequest → TKI exposures (lines of therapy) and co-medications.

A MedicationStatement says what the patient takes or took. A MedicationRequest (R4) with intent
order/plan and status active/draft/on-hold is an order: a TKI becomes `TkiExposure(ordered=True)`; a
completed or stopped request is history. The stop reason comes from `statusReason` (SNOMED where known,
else text): only resistance counts toward failure, intolerance never does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from tki_resistance.model import Comedication, StopReason, TkiExposure

from .dates import parse_day
from .dosing import daily_dose
from .exclusions import ExclusionLog
from .lax import read_resource
from .resources import CodeableConcept, Dosage, Medication, MedicationRequest, MedicationStatement, Period
from .terminology import (
    ATC,
    INTOLERANCE_SNOMED,
    INTOLERANCE_WORDS,
    RESISTANCE_WORDS,
    RXNORM,
    SNOMED,
    TFR_WORDS,
    TKI_BY_ATC,
    TKI_BY_RXNORM,
    TKI_NAMES,
)

__all__ = [
    "all_codes",
    "daily_dose_mg",
    "first_display",
    "map_medication_request",
    "map_medication_statement",
    "medication_index",
    "recognise_tki",
    "referenced_medication",
    "resolved_concept",
    "stop_reason",
]

_ACTIVE = frozenset({"active", "intended", "on-hold"})
_ENDED = frozenset({"completed", "stopped"})
_UNUSABLE = frozenset({"entered-in-error", "not-taken", "cancelled"})
_ORDER_INTENTS = frozenset({"order", "plan", "original-order", "reflex-order", "filler-order", "instance-order"})
_REQUEST_OPEN = frozenset({"active", "draft", "on-hold"})
_NAME_PATTERN = re.compile(r"\b(" + "|".join(sorted(TKI_NAMES)) + r")\b")


def recognise_tki(concept: CodeableConcept | None) -> str | None:
    """The TKI a concept names (RxNorm ingredient/product, ATC, generic or brand name), or None."""
    if concept is None:
        return None
    for code in concept.codes(RXNORM):
        if code in TKI_BY_RXNORM:
            return TKI_BY_RXNORM[code]
    for code in concept.codes(ATC):
        if code in TKI_BY_ATC:
            return TKI_BY_ATC[code]
    match = _NAME_PATTERN.search(concept.words())
    return TKI_NAMES[match.group(1)] if match else None


def daily_dose_mg(dosage: Sequence[Dosage]) -> tuple[float | None, int | None, str | None]:
    """(mg per day, doses per day, dose text): kept for callers of the first version."""
    dose = daily_dose(dosage)
    return dose.mg_per_day, dose.doses_per_day, dose.text


def stop_reason(concepts: Sequence[CodeableConcept]) -> StopReason | None:
    """Why a drug was stopped: SNOMED intolerance codes, else words; None when nothing is recorded."""
    if any(c.code in INTOLERANCE_SNOMED for concept in concepts for c in concept.coding if c.system == SNOMED):
        return StopReason.INTOLERANCE
    words = " ".join(c.words() for c in concepts)
    if not words.strip():
        return None
    if any(w in words for w in INTOLERANCE_WORDS):
        return StopReason.INTOLERANCE
    if any(re.search(rf"\b{re.escape(w)}\b", words) for w in TFR_WORDS):
        return StopReason.TFR
    if any(w in words for w in RESISTANCE_WORDS):
        return StopReason.RESISTANCE
    return StopReason.OTHER


def _reason_text(concepts: Sequence[CodeableConcept]) -> str | None:
    """The stop reason as recorded (text, else the code displays), for the card; None when none."""
    parts = [c.text or ", ".join(x.display for x in c.coding if x.display) for c in concepts]
    return "; ".join(p for p in parts if p) or None


def resolved_concept(
    resource: MedicationStatement | MedicationRequest, medications: dict[str, Medication], log: ExclusionLog
) -> CodeableConcept | None:
    """Public name of the concept resolution, for the draft-order mapping."""
    return _resolved_concept(resource, medications, log)


def _resolved_concept(
    resource: MedicationStatement | MedicationRequest, medications: dict[str, Medication], log: ExclusionLog
) -> CodeableConcept | None:
    """The medication's concept; None, logged as an exclusion, when neither code nor reference resolves."""
    concept = _concept(resource, medications)
    if concept is None:
        log.exclude(resource, "medication not resolvable (no code and no resolvable reference)")
    return concept


def _concept(
    resource: MedicationStatement | MedicationRequest, medications: dict[str, Medication]
) -> CodeableConcept | None:
    """The drug: the inline concept, or a contained / bundled Medication (its code, then ingredients)."""
    if resource.medicationCodeableConcept is not None:
        return resource.medicationCodeableConcept
    medication = referenced_medication(resource, medications)
    if medication is None:
        display = resource.medicationReference.display if resource.medicationReference else None
        return CodeableConcept(text=display) if display else None
    parts = [medication.code] if medication.code else []
    parts += [i.itemCodeableConcept for i in medication.ingredient if i.itemCodeableConcept is not None]
    coding = [c for part in parts for c in part.coding]
    text = " ".join(p.text for p in parts if p.text) or None
    return CodeableConcept(coding=tuple(coding), text=text)


def referenced_medication(
    resource: MedicationStatement | MedicationRequest, medications: dict[str, Medication]
) -> Medication | None:
    """The Medication `medicationReference` names: contained (`#id`) or another entry of the Bundle; None when
    there is no reference, or it does not resolve to a readable Medication."""
    reference = resource.medicationReference.reference if resource.medicationReference else None
    if reference and reference.startswith("#"):
        for contained in resource.contained:
            if contained.get("resourceType") == "Medication" and contained.get("id") == reference[1:]:
                try:
                    return read_resource(contained, Medication)
                except ValidationError:  # an unreadable contained Medication: unresolvable, logged by the caller
                    return None
        return None
    if reference:
        return medications.get(reference) or medications.get(reference.rsplit("/", 1)[-1])
    return None


def first_display(concept: CodeableConcept) -> str:
    """The name a card shows for a drug."""
    return _first_display(concept)


def all_codes(concept: CodeableConcept) -> tuple[str, ...]:
    """Every `system|code` of the concept, for interaction matching by RxNorm."""
    return _all_codes(concept)


def _first_display(concept: CodeableConcept) -> str:
    return concept.text or next((c.display for c in concept.coding if c.display), "unnamed medication")


def _all_codes(concept: CodeableConcept) -> tuple[str, ...]:
    return tuple(f"{c.system}|{c.code}" for c in concept.coding if c.code)


def map_medication_statement(
    statement: MedicationStatement, medications: dict[str, Medication], log: ExclusionLog
) -> TkiExposure | Comedication | None:
    """A TKI exposure, a co-medication, or None (logged when the statement cannot be used)."""
    status = statement.status or "unknown"
    if status in _UNUSABLE:
        log.exclude(statement, f"status '{status}'")
        return None
    concept = _resolved_concept(statement, medications, log)
    if concept is None:
        return None
    source = f"MedicationStatement/{statement.id}"
    drug = recognise_tki(concept)
    if drug is None:
        if status in _ENDED:
            return None  # a finished non-TKI drug cannot interact any more
        return Comedication(source=source, name=_first_display(concept), codes=_all_codes(concept))

    period = statement.effectivePeriod
    start = parse_day(period.start if period else statement.effectiveDateTime)
    end = parse_day(period.end if period else None)
    dose = daily_dose(statement.dosage)
    if dose.problem:
        log.exclude(statement, dose.problem)
    return TkiExposure(
        source=source,
        drug=drug,
        start=start,
        end=end,
        daily_dose_mg=dose.mg_per_day,
        doses_per_day=dose.doses_per_day,
        dose_text=dose.text,
        active=status in _ACTIVE or (status == "unknown" and end is None),
        stop_reason=stop_reason(statement.statusReason) if status in _ENDED else None,
        stop_detail=_reason_text(statement.statusReason) if status in _ENDED else None,
    )


def _request_period(request: MedicationRequest) -> Period | None:
    for dosage in request.dosageInstruction:
        if dosage.timing and dosage.timing.repeat and dosage.timing.repeat.boundsPeriod:
            return dosage.timing.repeat.boundsPeriod
    return request.dispenseRequest.validityPeriod if request.dispenseRequest else None


def map_medication_request(
    request: MedicationRequest, medications: dict[str, Medication], log: ExclusionLog
) -> TkiExposure | Comedication | None:
    """An ordered TKI (open order), TKI history (completed/stopped), a co-medication, or None (logged)."""
    status = request.status or "unknown"
    intent = request.intent or "unknown"
    if status in {"entered-in-error", "cancelled", "unknown"}:
        log.exclude(request, f"status '{status}'")
        return None
    if intent not in _ORDER_INTENTS:
        log.exclude(request, f"intent '{intent}': not an order or plan")
        return None
    concept = _resolved_concept(request, medications, log)
    if concept is None:
        return None
    source = f"MedicationRequest/{request.id}"
    open_order = status in _REQUEST_OPEN
    drug = recognise_tki(concept)
    if drug is None:
        if not open_order:
            return None
        return Comedication(source=source, name=_first_display(concept), codes=_all_codes(concept))
    period = _request_period(request)
    dose = daily_dose(request.dosageInstruction)
    if dose.problem:
        log.exclude(request, dose.problem)
    return TkiExposure(
        source=source,
        drug=drug,
        start=parse_day((period.start if period else None) or request.authoredOn),
        end=parse_day(period.end if period else None),
        daily_dose_mg=dose.mg_per_day,
        doses_per_day=dose.doses_per_day,
        dose_text=dose.text,
        active=open_order,
        stop_reason=None if open_order else stop_reason([request.statusReason] if request.statusReason else []),
        stop_detail=None if open_order else _reason_text([request.statusReason] if request.statusReason else []),
        ordered=open_order,
    )


def medication_index(resources: list[dict[str, Any]]) -> dict[str, Medication]:
    """Medication resources by `Medication/id` and bare id, for `medicationReference` lookups."""
    index: dict[str, Medication] = {}
    for raw in resources:
        if raw.get("resourceType") == "Medication" and raw.get("id"):
            medication = read_resource(raw, Medication)
            index[f"Medication/{medication.id}"] = medication
            index[str(medication.id)] = medication
    return index
