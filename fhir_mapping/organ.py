"""Organ function and serum electrolytes → `OrganFunction` (issue #23): what the label doses and the nilotinib
boxed warning need.

* Renal function: creatinine clearance, LOINC 2164-2 (creatinine renal clearance, 24-hour urine and serum or
  plasma); eGFR per 1.73 m², LOINC 33914-3 (MDRD), 62238-1 (CKD-EPI), 98979-8 (CKD-EPI 2021). Unit mL/min
  (UCUM `mL/min`, `mL/min/{1.73_m2}`, `mL/min/1.73m2` …). A measured clearance beats an eGFR of the same day;
  otherwise the latest wins.
* Hepatic function: a Child-Pugh class, from an Observation whose name says "Child-Pugh" (no LOINC code for
  it was verified) with a class (A/B/C, "Class C") or a score (5–6 A, 7–9 B, 10–15 C).
* Potassium: LOINC 2823-3 (serum or plasma), 6298-4 (blood), mmol/L or mEq/L. Magnesium: LOINC 19123-9 and
  2601-3 (serum or plasma), in mmol/L, mEq/L (÷ 2) or mg/dL (÷ 2.431): the unit decides, not the code (public
  tables disagree on which of the two is the mass concentration). The lower limit of the Observation's own
  reference range is kept, converted the same way.

Another unit, or no number, is excluded and reported; an unrecognised code is not read (never guessed from a
name, except Child-Pugh).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from tki_resistance.model import OrganFunction

from .dates import parse_day
from .exclusions import ExclusionLog
from .resources import CodeableConcept, Observation, Quantity
from .terminology import LOINC

__all__ = [
    "CREATININE_CLEARANCE",
    "EGFR",
    "MAGNESIUM",
    "POTASSIUM",
    "OrganContext",
    "organ_context",
    "organ_from",
    "organ_kind",
]

CREATININE_CLEARANCE = frozenset({"2164-2"})
EGFR = frozenset({"33914-3", "62238-1", "98979-8"})
POTASSIUM = frozenset({"2823-3", "6298-4"})
MAGNESIUM = frozenset({"19123-9", "2601-3"})
_RENAL_UNITS = frozenset(
    {"ml/min", "ml/min/{1.73_m2}", "ml/min/1.73m2", "ml/min/1.73 m2", "ml/min/1.73_m2", "ml/min/{1.73m2}"}
)
#: unit → factor to mmol/L
_POTASSIUM_UNITS = {"mmol/l": 1.0, "meq/l": 1.0}
_MAGNESIUM_UNITS = {"mmol/l": 1.0, "meq/l": 0.5, "mg/dl": 1 / 2.431}
_USABLE = frozenset({"final", "amended", "corrected", "preliminary"})
_GRADE = re.compile(r"\b(?:class\s*|grade\s*|child[- ]pugh\s*)?([abc])\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class OrganContext:
    renal: OrganFunction | None = None
    hepatic: OrganFunction | None = None
    potassium: OrganFunction | None = None
    magnesium: OrganFunction | None = None


def _day(observation: Observation) -> date | None:
    period = observation.effectivePeriod
    return parse_day(observation.effectiveDateTime or (period.start if period else None) or observation.issued)


def _unit(quantity: Quantity) -> str:
    return (quantity.code or quantity.unit or "").strip().lower()


def _low(observation: Observation, factors: dict[str, float]) -> float | None:
    for reference in observation.referenceRange:
        low = reference.low
        if low is not None and low.value is not None and _unit(low) in factors:
            return low.value * factors[_unit(low)]
    return None


def _electrolyte(observation: Observation, measure: str, log: ExclusionLog) -> OrganFunction | None:
    factors = _POTASSIUM_UNITS if measure == "potassium" else _MAGNESIUM_UNITS
    quantity = observation.valueQuantity
    if quantity is None or quantity.value is None:
        log.exclude(observation, f"{measure} without a numeric value")
        return None
    unit = _unit(quantity)
    if unit not in factors or quantity.value < 0:
        log.exclude(observation, f"{measure} in '{quantity.unit or quantity.code or 'no unit'}', not mmol/L")
        return None
    return OrganFunction(
        measure=measure,
        source=f"Observation/{observation.id}",
        taken=_day(observation),
        value=round(quantity.value * factors[unit], 3),
        unit="mmol/L",
        low=_low(observation, factors),
    )


def _renal(observation: Observation, measure: str, log: ExclusionLog) -> OrganFunction | None:
    quantity = observation.valueQuantity
    name = "creatinine clearance" if measure == "creatinine-clearance" else "eGFR"
    if quantity is None or quantity.value is None:
        log.exclude(observation, f"{name} without a numeric value")
        return None
    if _unit(quantity) not in _RENAL_UNITS or quantity.value < 0:
        log.exclude(observation, f"{name} in '{quantity.unit or quantity.code or 'no unit'}', not mL/min")
        return None
    unit = "mL/min" if measure == "creatinine-clearance" else "mL/min/1.73 m²"
    return OrganFunction(measure, f"Observation/{observation.id}", _day(observation), quantity.value, unit)


def _child_pugh(observation: Observation, log: ExclusionLog) -> OrganFunction | None:
    source, taken = f"Observation/{observation.id}", _day(observation)
    score = observation.valueInteger
    if score is None and observation.valueQuantity is not None and observation.valueQuantity.value is not None:
        score = int(observation.valueQuantity.value) if observation.valueQuantity.value.is_integer() else None
    if score is not None:
        if not 5 <= score <= 15:
            log.exclude(observation, f"Child-Pugh score {score} is outside 5–15")
            return None
        grade = "A" if score <= 6 else "B" if score <= 9 else "C"
        return OrganFunction("child-pugh", source, taken, float(score), "points", grade)
    texts = [observation.valueString or ""]
    if observation.valueCodeableConcept is not None:
        texts.append(observation.valueCodeableConcept.words())
    match = _GRADE.search(" ".join(texts))
    if match is None:
        log.exclude(observation, "Child-Pugh result without a class (A/B/C) or score")
        return None
    return OrganFunction("child-pugh", source, taken, None, "", match.group(1).upper())


#: LOINC code → what it measures: one look-up per coding instead of a scan per measure.
_KIND_BY_LOINC: dict[str, str] = {
    **dict.fromkeys(POTASSIUM, "potassium"),
    **dict.fromkeys(MAGNESIUM, "magnesium"),
    **dict.fromkeys(CREATININE_CLEARANCE, "creatinine-clearance"),
    **dict.fromkeys(EGFR, "egfr"),
}


def organ_kind(code: CodeableConcept) -> str | None:
    """What an Observation with this code measures: its first LOINC coding this module reads decides; with no
    LOINC code at all, a name saying Child-Pugh."""
    coded_in_loinc = False
    for coding in code.coding:
        if coding.system == LOINC and coding.code:
            if (kind := _KIND_BY_LOINC.get(coding.code)) is not None:
                return kind
            coded_in_loinc = True
    if coded_in_loinc or (not code.text and not any(c.display for c in code.coding)):
        return None  # another LOINC test (a BCR::ABL1 result, a count), or no words: no Child-Pugh by name
    words = code.words()
    if "child-pugh" in words or "child pugh" in words:
        return "child-pugh"
    return None


def _latest(values: list[OrganFunction]) -> OrganFunction | None:
    """The latest dated value (a measured clearance before an eGFR of the same day); undated ones only when
    nothing is dated."""
    rank = {"creatinine-clearance": 0}
    return min(
        values,
        key=lambda v: (-(v.taken or date.min).toordinal(), rank.get(v.measure, 1), v.source),
        default=None,
    )


def organ_context(observations: list[Observation], log: ExclusionLog) -> OrganContext:
    return organ_from([(o, kind) for o in observations if (kind := organ_kind(o.code)) is not None], log)


def organ_from(measures: list[tuple[Observation, str]], log: ExclusionLog) -> OrganContext:
    """The latest of each organ function among the Observations, each with its `organ_kind` (snapshot.py sorts
    the Observations once: observation_kinds.py); the unusable ones logged, in the order given."""
    found: dict[str, list[OrganFunction]] = {"renal": [], "hepatic": [], "potassium": [], "magnesium": []}
    for observation, kind in measures:
        if (observation.status or "unknown") not in _USABLE:
            continue
        if kind in ("potassium", "magnesium"):
            value = _electrolyte(observation, kind, log)
            slot = kind
        elif kind == "child-pugh":
            value, slot = _child_pugh(observation, log), "hepatic"
        else:
            value, slot = _renal(observation, kind, log), "renal"
        if value is not None:
            found[slot].append(value)
    return OrganContext(**{slot: _latest(values) for slot, values in found.items()})
