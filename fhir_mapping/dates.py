"""FHIR date/dateTime strings → `datetime.date`, refusing partial dates rather than guessing a day."""

from __future__ import annotations

from datetime import date

__all__ = ["parse_day"]


def parse_day(value: str | None) -> date | None:
    """The calendar day of a FHIR date or dateTime; None for missing or partial (`2024`, `2024-03`) values.

    The day is the one written in the timestamp (the laboratory's local day), not converted to UTC:
    milestones count in days, and a time-zone shift must not move a sample across a milestone.
    """
    if not value or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
