"""Lines of therapy from the medication record: which TKI is which line, and why earlier ones stopped.

Intolerance is not resistance: only a stop for resistance (or a failure on the current TKI) counts as a
TKI that failed.
"""

from __future__ import annotations

import itertools
from datetime import date

from ..model import PatientSnapshot, StopReason, TkiExposure

__all__ = [
    "SECOND_GENERATION",
    "current_line",
    "intolerance_stops",
    "line_dose_changes",
    "line_for",
    "ordered_tkis",
    "prior_exposures",
    "resistance_stops",
    "same_drug_gaps",
    "stops_for",
]

SECOND_GENERATION = frozenset({"dasatinib", "nilotinib", "bosutinib"})
_GAP_DAYS = 7


def _taken(snapshot: PatientSnapshot) -> list[TkiExposure]:
    return sorted((e for e in snapshot.tki_exposures if not e.ordered), key=lambda e: e.start or date.min)


def prior_exposures(snapshot: PatientSnapshot) -> list[TkiExposure]:
    """Exposures to other drugs that started before the current TKI (or all, when none is current)."""
    current = snapshot.current_tki
    if current is None:
        return _taken(snapshot)
    start = current.start or date.max
    return [e for e in _taken(snapshot) if e.drug != current.drug and (e.start or date.min) < start]


def current_line(snapshot: PatientSnapshot) -> int:
    """1 for first line; each distinct earlier drug adds one."""
    return len({e.drug for e in prior_exposures(snapshot)}) + 1


def line_for(snapshot: PatientSnapshot, drug: str) -> int:
    """The line `drug` is (or would be, when ordered): the current line when it is the current TKI, else
    one more than the distinct other TKIs taken."""
    current = snapshot.current_tki
    if current is not None and current.drug == drug:
        return current_line(snapshot)
    return len({e.drug for e in _taken(snapshot) if e.drug != drug}) + 1


def stops_for(snapshot: PatientSnapshot, reason: StopReason) -> list[TkiExposure]:
    """Exposures stopped for `reason`, one per drug (the first such stop)."""
    seen: dict[str, TkiExposure] = {}
    for exposure in _taken(snapshot):
        if exposure.stop_reason is reason and not exposure.active:
            seen.setdefault(exposure.drug, exposure)
    return list(seen.values())


def resistance_stops(snapshot: PatientSnapshot) -> list[TkiExposure]:
    return stops_for(snapshot, StopReason.RESISTANCE)


def intolerance_stops(snapshot: PatientSnapshot) -> list[TkiExposure]:
    return stops_for(snapshot, StopReason.INTOLERANCE)


def ordered_tkis(snapshot: PatientSnapshot) -> list[TkiExposure]:
    return [e for e in snapshot.tki_exposures if e.ordered and e.active]


def same_drug_gaps(snapshot: PatientSnapshot) -> list[tuple[TkiExposure, TkiExposure]]:
    """Consecutive records of the current drug with more than a week between one's end and the next start."""
    current = snapshot.current_tki
    if current is None:
        return []
    line = snapshot.current_line
    if line is not None:  # lines derived: only the current line's records (not an earlier line before TFR)
        records = [e for e in line.records if e.start is not None]
    else:
        records = [e for e in _taken(snapshot) if e.drug == current.drug and e.start is not None]
    gaps = []
    for earlier, later in itertools.pairwise(records):
        if earlier.end is not None and later.start is not None and (later.start - earlier.end).days > _GAP_DAYS:
            gaps.append((earlier, later))
    return gaps


def line_dose_changes(snapshot: PatientSnapshot) -> list[tuple[TkiExposure, TkiExposure]]:
    """(before, after) records of each dose change within the current line (empty before lines are derived)."""
    line = snapshot.current_line
    return line.dose_changes() if line is not None else []
