"""BCR::ABL1 results (International Scale) → `TranscriptResult`.

Units under LOINC 69380-4 (clinical-reference.md §13): UCUM `%` (or `%{IS}`) is percent. `1`, `{ratio}`
or no unit is ambiguous: a reference range whose upper bound is above 1, or a unit text saying `%`,
makes it percent; otherwise the result is excluded and reported. A factor of 100 is never guessed.

Non-IS BCR::ABL1 codes (46434-7, 21822-2, …) are recognised and excluded from milestone logic, with a
reason the card shows. Several results on one day are all kept: choosing between them is the
algorithm's job (a repeat on the same day is a clinical fact, not a duplicate), and only an identical
`Type/id` is treated as a duplicate (snapshot.py).

Undetectable results (a "not detected" answer, interpretation ND, or 0 / `<x` values) become
`detected=False`; the ABL1 or GUSB control-copy number from an Observation.component is carried into
`control_gene` / `control_copies` so the algorithm can score MR4 / MR4.5 / MR5 by the EUTOS rules.
"""

from __future__ import annotations

import re

from tki_resistance.model import Comparator, TranscriptResult

from .dates import parse_day
from .exclusions import ExclusionLog
from .resources import CodeableConcept, Observation, ObservationComponent, Quantity
from .terminology import BCR_ABL1_ANY, BCR_ABL1_IS, LOINC, SNOMED

__all__ = ["control_copies", "is_bcr_abl1", "is_undetected", "map_transcript"]

USABLE_STATUSES = frozenset({"final", "amended", "corrected", "preliminary"})
_AMBIGUOUS_UNITS = frozenset({"1", "{ratio}", "ratio", ""})
_PERCENT_CODE = re.compile(r"^%(\{[^}]*\})?$")
_VALUE_STRING = re.compile(
    r"^\s*(<=|<|≤)?\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(%)?\s*(?:\(?\s*IS\s*\)?)?\s*$", re.IGNORECASE
)
#: LOINC answers and SNOMED CT qualifiers meaning "not detected".
_NOT_DETECTED_CODES = frozenset({"LA11883-8", "LA9634-2", "LA6577-6", "260415000", "260385009"})
_NOT_DETECTED_WORDS = ("not detected", "undetectable", "undetected", "negative", "absent", "not detectable")
_NOT_DETECTED_INTERPRETATION = frozenset({"ND", "NEG"})
_COPY_COUNT = re.compile(r"^\s*([0-9][0-9,\s]*)\s*(copies)?\s*$", re.IGNORECASE)


def is_bcr_abl1(observation: Observation) -> bool:
    return observation.code.has(LOINC, BCR_ABL1_ANY)


def _effective_day(observation: Observation) -> str | None:
    if observation.effectiveDateTime:
        return observation.effectiveDateTime
    if observation.effectivePeriod is not None and observation.effectivePeriod.start:
        return observation.effectivePeriod.start
    return observation.issued


def _unit_is_percent(quantity: Quantity, observation: Observation) -> bool | None:
    """True for percent, None when the unit cannot be interpreted."""
    code = (quantity.code or "").strip()
    unit = (quantity.unit or "").strip()
    if _PERCENT_CODE.match(code) or (not code and unit.startswith("%")):
        return True
    if code in _AMBIGUOUS_UNITS and (unit in _AMBIGUOUS_UNITS or unit.startswith("%")):
        if unit.startswith("%"):
            return True
        highs = [r.high.value for r in observation.referenceRange if r.high is not None and r.high.value is not None]
        return True if any(high > 1 for high in highs) else None
    return None


def _comparator(symbol: str | None) -> Comparator | None:
    if symbol in (None, ""):
        return Comparator.EQUAL
    if symbol == "<":
        return Comparator.LESS_THAN
    if symbol in ("<=", "≤"):
        return Comparator.AT_MOST
    return None


def _says_not_detected(concept: CodeableConcept | None) -> bool:
    if concept is None:
        return False
    if any(c.code in _NOT_DETECTED_CODES for c in concept.coding if c.system in (LOINC, SNOMED)):
        return True
    return any(word in concept.words() for word in _NOT_DETECTED_WORDS)


def is_undetected(observation: Observation) -> bool:
    """The laboratory says BCR::ABL1 was not detected (answer code, text, or interpretation ND/NEG)."""
    if _says_not_detected(observation.valueCodeableConcept):
        return True
    if observation.valueString is not None and any(
        word in observation.valueString.lower() for word in _NOT_DETECTED_WORDS
    ):
        return True
    return any(c.code in _NOT_DETECTED_INTERPRETATION for i in observation.interpretation for c in i.coding)


def _component_gene(component: ObservationComponent) -> str | None:
    """ABL1 or GUSB when the component is a control-gene copy count (a local code or text)."""
    words = " ".join([component.code.words(), *(c.code or "" for c in component.code.coding)]).lower()
    if "bcr" in words:  # BCR::ABL1 copies are the numerator, not the control
        return None
    if "gusb" in words:
        return "GUSB"
    if "abl" in words and ("cop" in words or "control" in words):
        return "ABL1"
    return None


def _copies(component: ObservationComponent) -> int | None:
    if component.valueInteger is not None:
        return component.valueInteger
    if component.valueQuantity is not None and component.valueQuantity.value is not None:
        return round(component.valueQuantity.value)
    if component.valueString is not None and (match := _COPY_COUNT.match(component.valueString)):
        return int(re.sub(r"[,\s]", "", match.group(1)))
    return None


def control_copies(observation: Observation) -> tuple[str | None, int | None]:
    """(gene, copies) of the control transcript reported with the result; (None, None) if absent."""
    for component in observation.component:
        gene = _component_gene(component)
        if gene is not None and (copies := _copies(component)) is not None and copies >= 0:
            return gene, copies
    return None, None


def _value(observation: Observation, log: ExclusionLog) -> tuple[float, Comparator] | None:
    """(percent IS, comparator) from valueQuantity or valueString; None (logged) when not usable."""
    quantity = observation.valueQuantity
    if quantity is not None and quantity.value is not None:
        comparator = _comparator(quantity.comparator)
        if comparator is None:
            log.exclude(observation, f"comparator '{quantity.comparator}' not usable for milestones")
            return None
        if quantity.value == 0:
            return 0.0, comparator  # zero needs no unit: 0% and ratio 0 are the same
        if _unit_is_percent(quantity, observation) is None:
            unit = quantity.code or quantity.unit or "none"
            log.exclude(observation, f"unit '{unit}' not interpretable as % IS (no factor of 100 is guessed)")
            return None
        return quantity.value, comparator
    if observation.valueString is not None:
        match = _VALUE_STRING.match(observation.valueString)
        if match is None or match.group(3) != "%":
            log.exclude(observation, "value text is not a percentage on the International Scale")
            return None
        return float(match.group(2)), _comparator(match.group(1)) or Comparator.EQUAL
    log.exclude(observation, "no numeric BCR::ABL1 value")
    return None


def map_transcript(observation: Observation, log: ExclusionLog) -> TranscriptResult | None:
    """The IS result in percent, or None with the reason logged."""
    if not observation.code.has(LOINC, BCR_ABL1_IS):
        log.exclude(observation, "BCR::ABL1 result not on the International Scale: not used for milestones")
        return None
    status = observation.status or "unknown"
    if status not in USABLE_STATUSES:
        log.exclude(observation, f"status '{status}': not a usable result")
        return None
    taken = parse_day(_effective_day(observation))
    if taken is None:
        log.exclude(observation, "no full collection date (effectiveDateTime/effectivePeriod/issued)")
        return None
    if observation.dataAbsentReason is not None:
        log.exclude(observation, "no value (dataAbsentReason)")
        return None

    undetected = is_undetected(observation)
    has_value = (observation.valueQuantity is not None and observation.valueQuantity.value is not None) or (
        observation.valueString is not None and _VALUE_STRING.match(observation.valueString) is not None
    )
    if undetected and not has_value:
        value, comparator = 0.0, Comparator.EQUAL  # "not detected" without a stated sensitivity
    else:
        read = _value(observation, log)
        if read is None:
            return None
        value, comparator = read
    if value < 0:
        log.exclude(observation, "negative BCR::ABL1 value")
        return None
    gene, copies = control_copies(observation)
    return TranscriptResult(
        source=f"Observation/{observation.id}",
        taken=taken,
        percent_is=value,
        comparator=comparator,
        detected=not undetected and comparator is Comparator.EQUAL and value > 0,
        control_gene=gene,
        control_copies=copies,
        preliminary=status == "preliminary",
    )
