"""BCR::ABL1 results (International Scale) → `TranscriptResult`.

Units under LOINC 69380-4 (clinical-reference.md §13): UCUM `%` is percent. `1`, `{ratio}` or no unit is
ambiguous: a reference range whose upper bound is above 1, or a unit text saying `%`, makes it percent;
otherwise the result is excluded and reported. A factor of 100 is never guessed.
"""

from __future__ import annotations

import re

from tki_resistance.model import Comparator, TranscriptResult

from .dates import parse_day
from .exclusions import ExclusionLog
from .resources import Observation, Quantity
from .terminology import BCR_ABL1_IS, BCR_ABL1_NON_IS, LOINC

__all__ = ["is_bcr_abl1", "map_transcript"]

USABLE_STATUSES = frozenset({"final", "amended", "corrected", "preliminary"})
_AMBIGUOUS_UNITS = frozenset({"1", "{ratio}", "ratio", ""})
_VALUE_STRING = re.compile(r"^\s*(<=|<|≤)?\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(%)?\s*$")


def is_bcr_abl1(observation: Observation) -> bool:
    return observation.code.has(LOINC, BCR_ABL1_IS | BCR_ABL1_NON_IS)


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
    if code == "%" or (not code and unit == "%"):
        return True
    if code in _AMBIGUOUS_UNITS and unit in _AMBIGUOUS_UNITS | {"%"}:
        if "%" in unit:
            return True
        highs = [r.high.value for r in observation.referenceRange if r.high is not None and r.high.value is not None]
        return True if any(high > 1 for high in highs) else None
    if "%" in unit and not code:
        return True
    return None


def _comparator(symbol: str | None) -> Comparator | None:
    if symbol in (None, ""):
        return Comparator.EQUAL
    if symbol == "<":
        return Comparator.LESS_THAN
    if symbol in ("<=", "≤"):
        return Comparator.AT_MOST
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

    quantity = observation.valueQuantity
    if quantity is not None and quantity.value is not None:
        percent = _unit_is_percent(quantity, observation)
        comparator = _comparator(quantity.comparator)
        if percent is None:
            log.exclude(observation, f"unit '{quantity.code or quantity.unit or 'none'}' not interpretable as % IS")
            return None
        if comparator is None:
            log.exclude(observation, f"comparator '{quantity.comparator}' not usable for milestones")
            return None
        value = quantity.value
    elif observation.valueString is not None:
        match = _VALUE_STRING.match(observation.valueString)
        if match is None or match.group(3) != "%":
            log.exclude(observation, "value text is not a percentage on the International Scale")
            return None
        comparator = _comparator(match.group(1)) or Comparator.EQUAL
        value = float(match.group(2))
    else:
        log.exclude(observation, "no numeric BCR::ABL1 value")
        return None

    if value < 0:
        log.exclude(observation, "negative BCR::ABL1 value")
        return None
    return TranscriptResult(
        source=f"Observation/{observation.id}",
        taken=taken,
        percent_is=value,
        comparator=comparator,
        detected=comparator is Comparator.EQUAL and value > 0,
        preliminary=status == "preliminary",
    )
