"""MedicationStatement / MedicationRequest → TKI exposures (lines of therapy) and co-medications."""

from __future__ import annotations

import re
from typing import Any

from tki_resistance.model import Comedication, StopReason, TkiExposure

from .dates import parse_day
from .exclusions import ExclusionLog
from .resources import CodeableConcept, Dosage, Medication, MedicationRequest, MedicationStatement
from .terminology import ATC, RXNORM, TKI_BY_ATC, TKI_BY_RXNORM, TKI_NAMES

__all__ = ["daily_dose_mg", "map_medication_statement", "recognise_tki"]

_ACTIVE = frozenset({"active", "intended", "on-hold"})
_ENDED = frozenset({"completed", "stopped"})
_UNUSABLE = frozenset({"entered-in-error", "not-taken", "cancelled"})
_PER_DAY = {"d": 1.0, "h": 24.0, "wk": 1 / 7, "mo": 1 / 30.4375}
_NAME_PATTERN = re.compile(r"\b(" + "|".join(sorted(TKI_NAMES)) + r")\b")
_INTOLERANCE_WORDS = ("intoleran", "adverse", "toxicity", "side effect", "side-effect")
_RESISTANCE_WORDS = ("resistan", "failure", "loss of response", "progression", "relapse")


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


def daily_dose_mg(dosage: list[Dosage]) -> tuple[float | None, int | None, str | None]:
    """(mg per day, doses per day, dose text) from the first structured dosage; None where not given."""
    if not dosage:
        return None, None, None
    first = dosage[0]
    text = first.text
    dose = next((d.doseQuantity for d in first.doseAndRate if d.doseQuantity is not None), None)
    if dose is None or dose.value is None or (dose.code or dose.unit or "").lower() not in ("mg", "milligram"):
        return None, None, text
    repeat = first.timing.repeat if first.timing is not None else None
    if repeat is None or repeat.frequency is None:
        return None, None, text
    period = repeat.period or 1.0
    per_day = _PER_DAY.get(repeat.periodUnit or "d")
    if per_day is None:
        return None, None, text
    doses_per_day = repeat.frequency * per_day / period
    rounded = round(doses_per_day) if abs(doses_per_day - round(doses_per_day)) < 1e-9 else None
    return dose.value * doses_per_day, rounded, text


def _stop_reason(concepts: list[CodeableConcept]) -> StopReason | None:
    words = " ".join(c.words() for c in concepts)
    if not words.strip():
        return None
    if any(w in words for w in _INTOLERANCE_WORDS):
        return StopReason.INTOLERANCE
    if any(w in words for w in _RESISTANCE_WORDS):
        return StopReason.RESISTANCE
    return StopReason.OTHER


def _medication_concept(
    resource: MedicationStatement | MedicationRequest, medications: dict[str, Medication]
) -> CodeableConcept | None:
    if resource.medicationCodeableConcept is not None:
        return resource.medicationCodeableConcept
    reference = resource.medicationReference.reference if resource.medicationReference else None
    if not reference:
        return None
    if reference.startswith("#"):
        for contained in resource.contained:
            if contained.get("resourceType") == "Medication" and contained.get("id") == reference[1:]:
                return Medication.model_validate(contained).code
        return None
    medication = medications.get(reference) or medications.get(reference.rsplit("/", 1)[-1])
    return medication.code if medication is not None else None


def map_medication_statement(
    statement: MedicationStatement, medications: dict[str, Medication], log: ExclusionLog
) -> TkiExposure | Comedication | None:
    """A TKI exposure, a co-medication, or None (logged) when the statement cannot be used."""
    status = statement.status or "unknown"
    if status in _UNUSABLE:
        log.exclude(statement, f"status '{status}'")
        return None
    concept = _medication_concept(statement, medications)
    if concept is None:
        log.exclude(statement, "medication not resolvable (no code and no resolvable reference)")
        return None
    source = f"MedicationStatement/{statement.id}"
    drug = recognise_tki(concept)
    if drug is None:
        if status in _ENDED:
            return None  # a finished non-TKI drug cannot interact any more
        return Comedication(source=source, name=concept.text or _first_display(concept), codes=_all_codes(concept))

    period = statement.effectivePeriod
    start = parse_day(period.start if period else statement.effectiveDateTime)
    end = parse_day(period.end if period else None)
    dose, per_day, text = daily_dose_mg(statement.dosage)
    return TkiExposure(
        source=source,
        drug=drug,
        start=start,
        end=end,
        daily_dose_mg=dose,
        doses_per_day=per_day,
        dose_text=text,
        active=status in _ACTIVE or (status == "unknown" and end is None),
        stop_reason=_stop_reason(statement.statusReason) if status in _ENDED else None,
    )


def _first_display(concept: CodeableConcept) -> str:
    return next((c.display for c in concept.coding if c.display), "unnamed medication")


def _all_codes(concept: CodeableConcept) -> tuple[str, ...]:
    return tuple(f"{c.system}|{c.code}" for c in concept.coding if c.code)


def medication_index(resources: list[dict[str, Any]]) -> dict[str, Medication]:
    """Medication resources by `Medication/id` and bare id, for `medicationReference` lookups."""
    index: dict[str, Medication] = {}
    for raw in resources:
        if raw.get("resourceType") == "Medication" and raw.get("id"):
            medication = Medication.model_validate(raw)
            index[f"Medication/{medication.id}"] = medication
            index[str(medication.id)] = medication
    return index
