"""Dose per day from a FHIR Dosage, read as order entry sends it: structured first, then the sig text.

The dose of one administration is, in this order:
- `doseAndRate[].doseQuantity` in mg (or g);
- a count of units (`{pill}`, `{tbl}`, `{tab}`, `{cap}`, "tablet(s)", "capsule(s)", `TAB`, `CAP` …: the UCUM
  annotations and the common EHR units) times the strength in mg per unit, which the caller gives: from a
  Medication's `ingredient.strength` or the RxNorm clinical / branded drug name ("nilotinib 150 MG Oral
  Capsule"), see `strength_from_names` and `strength_from_medication`;
- the sig text (`text`, else `patientInstruction`), by the small grammar below.

Timing may be `repeat.frequency/period/periodUnit` (a period without a frequency is once per period),
`repeat.when` / `timeOfDay` (one dose per named time, e.g. MORN + EVE), or `timing.code` (v3
GTSAbbreviation: QD, BID, TID, QID, AM, PM, Q12H …, or its text, "twice daily"). Text such as "400 mg daily",
"40 mg BID", "Take 2 capsules (300 mg) by mouth twice daily", "1 tab(s), Oral, Daily" is read when nothing
structured is given. A dose with no stated frequency gives no daily dose: the frequency is never assumed.

When no daily dose can be read, `missing` says what was missing (the card shows it); when one was read but
cannot be a TKI dose (not finite, ≤ 0, more than `MAX_MG_PER_DAY` or doses more often than hourly),
`problem` says why and `stated_mg_per_day` keeps the value for the ordering hooks' card.

Sig grammar (case-insensitive; numbers as digits or one … ten):
    [take] <n> <unit>[s|(s)] [(<x> mg[ total])] … <frequency>      → x mg per dose, else n × strength
    [take] <n> x <s> mg <unit>[s] … <frequency>                       → n × s mg per dose
    [take] <x> mg … <frequency>                                        → x mg per dose
No maintained library on PyPI fits (checked: parsigs and dose_instruction_parser need spaCy and a model
downloaded from a hub, and pin old spaCy/numpy; paas-national-prescription-extractor computes days' supply).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .resources import CodeableConcept, Dosage, Medication, Quantity, Timing

__all__ = ["DailyDose", "daily_dose", "strength_from_medication", "strength_from_names"]

_PER_DAY = {"d": 1.0, "h": 24.0, "min": 1440.0, "wk": 1 / 7, "mo": 1 / 30.4375}
_TIMING_CODES = {
    "QD": 1.0, "OD": 1.0, "DAILY": 1.0, "Q24H": 1.0, "AM": 1.0, "PM": 1.0, "QAM": 1.0, "QPM": 1.0, "QHS": 1.0,
    "BID": 2.0, "BD": 2.0, "TID": 3.0, "QID": 4.0,
    "Q12H": 2.0, "Q8H": 3.0, "Q6H": 4.0, "Q4H": 6.0, "QOD": 0.5, "WK": 1 / 7,
}  # fmt: skip
_TEXT_FREQUENCY: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"\b(bid|b\.i\.d\.?|bd|twice (a |per )?day|twice daily|every 12 ?h(ours?)?|q12h)\b"), 2.0),
    (re.compile(r"\b(tid|t\.i\.d\.?|three times (a |per )?day|three times daily|q8h)\b"), 3.0),
    (re.compile(r"\b(qid|q\.i\.d\.?|four times (a |per )?day|four times daily|q6h)\b"), 4.0),
    (re.compile(r"\b(every other day|qod|alternate days)\b"), 0.5),
    (
        re.compile(
            r"\b(once daily|once a day|once per day|daily|qd|q\.d\.?|od|o\.d\.?|every day|each day|per day|/day|"
            r"a day|every morning|every evening|at night|nightly|qam|qpm|qhs|mane|nocte|every 24 ?h(ours?)?|q24h)\b"
        ),
        1.0,
    ),
)
_NUMBER = r"(\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten)"
_WORDS = {
    w: float(i)
    for i, w in enumerate(["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"], start=1)
}
_UNIT_WORD = r"(?:tablets?|tabs?|capsules?|caps?|pills?)(?:\(s\))?"
_TEXT_DOSE = re.compile(r"(\d+(?:\.\d+)?)\s*(mg|milligrams?)\b(?!\s*/)")
#: "2 tablets (300 mg)", "1 tab(s) (100 mg total)": the mg in brackets is the dose, the count its units
_TEXT_COUNT_WITH_MG = re.compile(_NUMBER + r"\s*" + _UNIT_WORD + r"\s*\(\s*(\d+(?:\.\d+)?)\s*mg\b")
#: "2 x 150 mg capsules": a count of units of a stated strength
_TEXT_COUNT_OF_STRENGTH = re.compile(_NUMBER + r"\s*(?:x|×)\s*(\d+(?:\.\d+)?)\s*mg\s*" + _UNIT_WORD)
_TEXT_COUNT = re.compile(r"(?<![\d.])" + _NUMBER + r"\s*" + _UNIT_WORD + r"(?![a-z])")
#: units that are a count of tablets or capsules: UCUM annotations and the common EHR codes and words
_COUNT_UNITS = frozenset({"pill", "tbl", "tab", "tablet", "cap", "capsule", "1", "ea", "each", "unit"})
#: "<ingredient> <n> MG <form>" (RxNorm SCD/SBD names); not "MG/ML" (a concentration, not a unit's strength)
_NAME_STRENGTH = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*mg\b(?!/)", re.IGNORECASE)


#: No TKI is given above 800 mg a day (imatinib, nilotinib); 2000 mg leaves room for any regimen, and more
#: (or doses more often than hourly) is a unit or entry error, never read as a dose. The ordering hooks hold
#: each drug to its label's maximum as well (doses.toml, situation "label-maximum").
MAX_MG_PER_DAY = 2000.0
MAX_DOSES_PER_DAY = 24.0


@dataclass(frozen=True)
class DailyDose:
    mg_per_day: float | None
    doses_per_day: int | None
    text: str | None
    problem: str | None = None  # why a stated dose was not used (the mapper reports it)
    missing: str | None = None  # what was missing when no dose could be read (the card says it)
    stated_mg_per_day: float | None = None  # the value behind `problem`


def _count_unit(quantity: Quantity) -> bool:
    for raw in (quantity.code, quantity.unit):
        if raw is None:
            continue
        unit = raw.strip().lower().strip("{}").removesuffix("(s)").removesuffix("s")
        if unit in _COUNT_UNITS or unit in ("tabs", "caps"):
            return True
    return False


def _mg(quantity: Quantity | None) -> float | None:
    if quantity is None or quantity.value is None:
        return None
    unit = (quantity.code or quantity.unit or "").lower()
    if unit in ("mg", "milligram", "milligrams"):
        return quantity.value
    if unit == "g":
        return quantity.value * 1000
    return None


def _unit_name(quantity: Quantity) -> str:
    return quantity.unit or quantity.code or "no unit"


def _number(word: str) -> float:
    return _WORDS.get(word) or float(word)


def strength_from_names(names: Iterable[str | None]) -> float | None:
    """mg per unit from RxNorm clinical / branded drug names ("nilotinib 150 MG Oral Capsule"); None when no
    name states one, or the names disagree (two ingredients, two strengths)."""
    found = {float(m.group(1)) for name in names if name for m in _NAME_STRENGTH.finditer(name)}
    return found.pop() if len(found) == 1 else None


def strength_from_concept(concept: CodeableConcept | None) -> float | None:
    if concept is None:
        return None
    return strength_from_names([concept.text, *(c.display for c in concept.coding)])


def strength_from_medication(medication: Medication) -> float | None:
    """mg per unit from the Medication's one `ingredient.strength` given in mg per unit (tablet, capsule, 1),
    else from its code's name; None when neither gives exactly one."""
    per_unit: set[float] = set()
    for ingredient in medication.ingredient:
        ratio = ingredient.strength
        if ratio is None or (mg := _mg(ratio.numerator)) is None:
            continue
        denominator = ratio.denominator
        count = 1.0 if denominator is None or denominator.value is None else denominator.value
        if denominator is not None and denominator.value is not None and not _count_unit(denominator):
            continue  # mg per mL and the like: not a strength per tablet or capsule
        if count > 0:
            per_unit.add(mg / count)
    if len(per_unit) == 1:
        return per_unit.pop()
    return strength_from_concept(medication.code) if not per_unit else None


def _structured_frequency(timing: Timing | None) -> float | None:
    if timing is None:
        return None
    repeat = timing.repeat
    if repeat is not None and (repeat.frequency is not None or repeat.period is not None):
        per_day = _PER_DAY.get(repeat.periodUnit or "d")
        period = repeat.period or 1.0
        if per_day is None or period <= 0:
            return None
        return (1 if repeat.frequency is None else repeat.frequency) * per_day / period
    if repeat is not None and (repeat.when or repeat.timeOfDay):
        return float(len(repeat.when) or len(repeat.timeOfDay))
    if timing.code is not None:
        for code in [c.code for c in timing.code.coding if c.code] + [timing.code.text or ""]:
            if code.upper() in _TIMING_CODES:
                return _TIMING_CODES[code.upper()]
        if timing.code.text:
            return _text_frequency(timing.code.text)
    return None


def _text_frequency(text: str) -> float | None:
    lowered = text.lower()
    for pattern, per_day in _TEXT_FREQUENCY:
        if pattern.search(lowered):
            return per_day
    return None


def _text_dose(text: str, strength: float | None) -> tuple[float | None, str | None]:
    """(mg per administration, what was missing) from the sig text."""
    lowered = text.lower()
    if match := _TEXT_COUNT_WITH_MG.search(lowered):
        return float(match.group(2)), None
    if match := _TEXT_COUNT_OF_STRENGTH.search(lowered):
        return _number(match.group(1)) * float(match.group(2)), None
    if match := _TEXT_COUNT.search(lowered):
        count = _number(match.group(1))
        if strength is not None:
            return count * strength, None
        if count == 1 and (mg := _TEXT_DOSE.search(lowered)):
            return float(mg.group(1)), None  # "1 tablet … 400 mg": the strength and the dose are one
        return None, f"a count of {match.group(0)} in the text but no mg strength for the drug"
    if match := _TEXT_DOSE.search(lowered):
        return float(match.group(1)), None
    return None, None


def _whole(per_day: float) -> int | None:
    return round(per_day) if per_day >= 1 and abs(per_day - round(per_day)) < 1e-9 else None


def _structured_dose(dosage: Dosage, strength: float | None) -> tuple[float | None, str | None]:
    """(mg per administration, what was missing) from `doseAndRate`."""
    missing: str | None = None
    for entry in dosage.doseAndRate:
        quantity = entry.doseQuantity
        if quantity is None or quantity.value is None:
            continue
        if (mg := _mg(quantity)) is not None:
            return mg, None
        if _count_unit(quantity):
            if strength is not None:
                return quantity.value * strength, None
            missing = (
                f"a dose of {quantity.value:g} {_unit_name(quantity)} but no mg strength (neither the drug's "
                "name nor a Medication's ingredient.strength gives one)"
            )
        else:
            missing = f"a dose unit '{_unit_name(quantity)}' that is neither mg nor a count of tablets or capsules"
    return None, missing


def daily_dose(dosage: Sequence[Dosage], strength_mg: float | None = None) -> DailyDose:
    """mg per day, doses per day, and the dose text, from the first dosage; None where not stated.

    `strength_mg` is the drug's mg per tablet or capsule, when known: a count of units is read with it."""
    if not dosage:
        return DailyDose(None, None, None, missing="no dosage instruction")
    first = dosage[0]
    text = first.text or first.patientInstruction
    dose, missing = _structured_dose(first, strength_mg)
    per_day = _structured_frequency(first.timing)
    if dose is None and text:
        dose, text_missing = _text_dose(text, strength_mg)
        missing = missing or text_missing
    if per_day is None and text:
        per_day = _text_frequency(text)
    if dose is None or per_day is None:
        gaps = []
        if dose is None:
            gaps.append(missing or "no dose (no doseQuantity and none in the text)")
        if per_day is None:
            gaps.append("no frequency (no timing and none in the text)")
        return DailyDose(None, None, text, missing="; ".join(gaps))
    mg_per_day = dose * per_day
    if not (math.isfinite(mg_per_day) and 0 < mg_per_day <= MAX_MG_PER_DAY and 0 < per_day <= MAX_DOSES_PER_DAY):
        return DailyDose(
            None,
            None,
            text,
            f"dose not used: {dose:g} mg × {per_day:g}/day is not a plausible TKI dose",
            stated_mg_per_day=mg_per_day,
        )
    return DailyDose(mg_per_day, _whole(per_day), text)
