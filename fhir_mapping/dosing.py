"""Dose per day from a FHIR Dosage: structured (doseAndRate + timing) first, then the dose text.

Timing may be `repeat.frequency/period/periodUnit`, `repeat.when` (one dose per named time, e.g.
MORN + EVE), or `timing.code` (v3 GTSAbbreviation: QD, BID, TID, QID, AM, PM, Q12H …). Text such as
"400 mg daily", "40 mg BID", "45 mg once daily" is read when nothing structured is given. A dose with no
stated frequency gives no daily dose: the frequency is never assumed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .resources import Dosage, Quantity, Timing

__all__ = ["DailyDose", "daily_dose"]

_PER_DAY = {"d": 1.0, "h": 24.0, "wk": 1 / 7, "mo": 1 / 30.4375}
_TIMING_CODES = {
    "QD": 1.0, "AM": 1.0, "PM": 1.0, "BID": 2.0, "TID": 3.0, "QID": 4.0,
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
            r"a day|every morning|every evening|at night|nightly|qam|qpm|qhs|mane|nocte)\b"
        ),
        1.0,
    ),
)
_TEXT_DOSE = re.compile(r"(\d+(?:\.\d+)?)\s*(mg|milligrams?)\b")


#: No TKI is given above 800 mg a day (imatinib, nilotinib); 2000 mg leaves room for any regimen, and more
#: (or doses more often than hourly) is a unit or entry error, never read as a dose.
MAX_MG_PER_DAY = 2000.0
MAX_DOSES_PER_DAY = 24.0


@dataclass(frozen=True)
class DailyDose:
    mg_per_day: float | None
    doses_per_day: int | None
    text: str | None
    problem: str | None = None  # why a stated dose was not used (the mapper reports it)


def _mg(quantity: Quantity | None) -> float | None:
    if quantity is None or quantity.value is None:
        return None
    unit = (quantity.code or quantity.unit or "").lower()
    if unit in ("mg", "milligram", "milligrams"):
        return quantity.value
    if unit == "g":
        return quantity.value * 1000
    return None


def _structured_frequency(timing: Timing | None) -> float | None:
    if timing is None:
        return None
    repeat = timing.repeat
    if repeat is not None and repeat.frequency is not None:
        per_day = _PER_DAY.get(repeat.periodUnit or "d")
        return None if per_day is None else repeat.frequency * per_day / (repeat.period or 1.0)
    if repeat is not None and (repeat.when or repeat.timeOfDay):
        return float(len(repeat.when) or len(repeat.timeOfDay))
    if timing.code is not None:
        for code in [c.code for c in timing.code.coding if c.code] + [timing.code.text or ""]:
            if code.upper() in _TIMING_CODES:
                return _TIMING_CODES[code.upper()]
    return None


def _text_frequency(text: str) -> float | None:
    lowered = text.lower()
    for pattern, per_day in _TEXT_FREQUENCY:
        if pattern.search(lowered):
            return per_day
    return None


def _whole(per_day: float) -> int | None:
    return round(per_day) if per_day >= 1 and abs(per_day - round(per_day)) < 1e-9 else None


def daily_dose(dosage: Sequence[Dosage]) -> DailyDose:
    """mg per day, doses per day, and the dose text, from the first dosage; None where not stated."""
    if not dosage:
        return DailyDose(None, None, None)
    first = dosage[0]
    text = first.text or first.patientInstruction
    dose = next((_mg(d.doseQuantity) for d in first.doseAndRate if _mg(d.doseQuantity) is not None), None)
    per_day = _structured_frequency(first.timing)
    if dose is None and text and (match := _TEXT_DOSE.search(text.lower())):
        dose = float(match.group(1))
    if per_day is None and text:
        per_day = _text_frequency(text)
    if dose is None or per_day is None:
        return DailyDose(None, None, text)
    mg_per_day = dose * per_day
    if not (math.isfinite(mg_per_day) and 0 < mg_per_day <= MAX_MG_PER_DAY and 0 < per_day <= MAX_DOSES_PER_DAY):
        return DailyDose(None, None, text, f"dose not used: {dose:g} mg × {per_day:g}/day is not a plausible TKI dose")
    return DailyDose(mg_per_day, _whole(per_day), text)
