"""FHIR date/dateTime strings → `datetime.date`, refusing partial dates rather than guessing a day.

`implausible_dates` is the window every resource's dates must fall in before any mapper reads them: a
date before 1900 or after tomorrow (`9999-12-31`, a typo, a placeholder) is not a clinical fact, and
arithmetic on it (months since, a due date) would be absurd or overflow. A period's end, and a medication
period's start (an order starting next week), may be a plan and lie ahead, but not past `MAX_PLANNED_YEARS`.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

__all__ = ["EARLIEST", "MAX_PLANNED_YEARS", "implausible_dates", "parse_day"]

#: No CML result, drug or transplant predates 1900 (BCR::ABL1 qPCR dates from the late 1990s); birth dates
#: of living patients neither.
EARLIEST = date(1900, 1, 1)
#: A planned stop or an order's validity beyond this is a placeholder (`9999-12-31`), not a plan.
MAX_PLANNED_YEARS = 5
_YEAR = re.compile(r"^(\d{4})")
_ONE_DAY = timedelta(days=1)

#: Fields saying when something happened (must not be after tomorrow), and periods whose end is a plan.
_EVENT_FIELDS = (
    "effectiveDateTime",
    "issued",
    "authoredOn",
    "performedDateTime",
    "onsetDateTime",
    "recordedDate",
    "birthDate",
    "dateAsserted",
)
_PERIOD_FIELDS = ("effectivePeriod", "performedPeriod", "onsetPeriod")


def parse_day(value: str | None) -> date | None:
    """The calendar day of a FHIR date or dateTime; None for missing or partial (`2024`, `2024-03`) values.

    The day is the one written in the timestamp (the laboratory's local day), not converted to UTC:
    milestones count in days, and a time-zone shift must not move a sample across a milestone.
    """
    if not value or len(value) < 10:
        return None
    return _day(value[:10])


@lru_cache(maxsize=1 << 16)
def _day(text: str) -> date | None:
    """Every result's date is read twice (the plausibility window, then the mapper): a look-up costs a
    quarter of a parse. Keyed by the ten characters of the day alone — a calendar day, never a timestamp
    or anything else of the record — and bounded: 65,536 days are 179 years."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _outside(value: Any, name: str, latest: date, suffix: str = "") -> str | None:
    """Why this date string lies outside [EARLIEST, latest], or None (a missing or unreadable date is the
    mappers' business: they say "no full date"). The field is named `name` + `suffix`, joined only for a
    reason: nearly every date fits."""
    if not isinstance(value, str):
        return None
    day = parse_day(value)
    if day is not None and EARLIEST <= day <= latest:
        return None
    name += suffix
    if day is None:
        year = _YEAR.match(value)  # a partial date (`1850`, `9999-01`) is still checked by its year
        if year is None or EARLIEST.year <= int(year.group(1)) <= latest.year:
            return None
        return f"{name} {value[:10]} outside the plausible window {EARLIEST.isoformat()} to {latest.isoformat()}"
    return f"{name} {value[:10]} outside the plausible window {EARLIEST.isoformat()} to {latest.isoformat()}"


_FIELDS: dict[type, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {}
_PLAN_FIELDS = ("dispenseRequest", "dosage", "dosageInstruction")


def _fields(kind: type) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The event, period and planned-period fields (dispenseRequest, dosage, dosageInstruction) a slim
    model class has (msgspec `__struct_fields__`), found once per class: looking up the others on every
    resource cost a third of mapping (bench/, 1,000 results)."""
    found = _FIELDS.get(kind)
    if found is None:
        names = getattr(kind, "__struct_fields__", None)
        if names is None:
            return _EVENT_FIELDS, _PERIOD_FIELDS, _PLAN_FIELDS
        found = (
            tuple(n for n in _EVENT_FIELDS if n in names),
            tuple(n for n in _PERIOD_FIELDS if n in names),
            tuple(n for n in _PLAN_FIELDS if n in names),
        )
        _FIELDS[kind] = found
    return found


def _periods(resource: Any) -> list[tuple[str, Any, bool]]:
    """(name, period, planned): a medication period may be a plan (an order starting next week), so its
    start may lie ahead like its end; an observation's, procedure's or condition's period has happened."""
    _, period_fields, plan_fields = _fields(type(resource))
    planned = getattr(resource, "resourceType", None) in ("MedicationStatement", "MedicationRequest")
    found = [(name, period, planned) for name in period_fields if (period := getattr(resource, name, None)) is not None]
    if plan_fields:  # a model without dispenseRequest or dosage (an Observation) has no planned period
        dispense = getattr(resource, "dispenseRequest", None)
        if dispense is not None and (validity := getattr(dispense, "validityPeriod", None)) is not None:
            found.append(("dispenseRequest.validityPeriod", validity, True))
        for dosage in [*getattr(resource, "dosage", ()), *getattr(resource, "dosageInstruction", ())]:
            repeat = dosage.timing.repeat if dosage.timing else None
            if repeat is not None and repeat.boundsPeriod is not None:
                found.append(("dosage boundsPeriod", repeat.boundsPeriod, True))
    return found


def implausible_dates(resources: list[Any], as_of: date) -> list[str | None]:
    """For each slim FHIR model, in order, the first of its dates outside the plausible window, with the
    reason; None where all fit. The window and each class's fields are worked out once for the list, not
    once per resource (a 1,000-result patient is 1,000 Observations)."""
    tomorrow = as_of + _ONE_DAY
    horizon = date(min(as_of.year + MAX_PLANNED_YEARS, 9998), 12, 31)  # for planned periods
    reasons: list[str | None] = []
    kind: type | None = None
    events: tuple[str, ...] = ()
    periods: tuple[str, ...] = ()
    plans: tuple[str, ...] = ()
    for resource in resources:
        if type(resource) is not kind:
            kind = type(resource)
            events, periods, plans = _fields(kind)
        reason = None
        for name in events:
            value = getattr(resource, name, None)
            if value is None:
                continue
            day = _day(value[:10]) if type(value) is str and len(value) >= 10 else None
            if day is not None and EARLIEST <= day <= tomorrow:
                continue  # the usual case, decided here without `_outside`'s call (once per resource and date)
            if (reason := _outside(value, name, tomorrow)) is not None:
                break
        if reason is None and plans:
            reason = _implausible_period(resource, tomorrow, horizon)
        elif reason is None:  # no planned period possible (an Observation): done unless a period is present
            for name in periods:
                if getattr(resource, name, None) is not None:
                    reason = _implausible_period(resource, tomorrow, horizon)
                    break
        reasons.append(reason)
    return reasons


def _implausible_period(resource: Any, tomorrow: date, horizon: date) -> str | None:
    for name, period, planned in _periods(resource):
        if (reason := _outside(period.start, name, horizon if planned else tomorrow, ".start")) is not None:
            return reason
        if (reason := _outside(period.end, name, horizon, ".end")) is not None:
            return reason
    return None
