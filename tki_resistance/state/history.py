"""Lines of therapy from the medication record: which TKI is which line, and why earlier ones stopped.

Intolerance is not resistance: only a stop for resistance (or a failure on the current TKI) counts as a
TKI that failed.

`tki_record` reads the record once per call (build_state keeps it as `ClinicalState.tkis`): the line number,
the earlier TKIs and the stops are asked for by several stages and hooks, and each asking sorted the
exposures again. `line_for` answers for a drafted TKI, which is not in the record.
"""

from __future__ import annotations

import itertools
from datetime import date

import msgspec

from ..model import PatientSnapshot, StopReason, TkiExposure

__all__ = [
    "SECOND_GENERATION",
    "TkiRecord",
    "line_dose_changes",
    "line_for",
    "ordered_tkis",
    "same_drug_gaps",
    "tki_record",
]

SECOND_GENERATION = frozenset({"dasatinib", "nilotinib", "bosutinib"})
_GAP_DAYS = 7


def _taken(snapshot: PatientSnapshot) -> list[TkiExposure]:
    return sorted((e for e in snapshot.tki_exposures if not e.ordered), key=lambda e: e.start or date.min)


def _prior(current: TkiExposure | None, taken: list[TkiExposure]) -> list[TkiExposure]:
    """Exposures to other drugs that started before the current TKI (all taken, when none is current)."""
    if current is None:
        return taken
    start = current.start or date.max
    return [e for e in taken if e.drug != current.drug and (e.start or date.min) < start]


def _line_number(prior: list[TkiExposure]) -> int:
    """1 for first line; each distinct earlier drug adds one."""
    return len({e.drug for e in prior}) + 1


def line_for(snapshot: PatientSnapshot, drug: str) -> int:
    """The line `drug` is (or would be, when ordered): the current line when it is the current TKI, else
    one more than the distinct other TKIs taken."""
    current = snapshot.current_tki
    taken = _taken(snapshot)
    if current is not None and current.drug == drug:
        return _line_number(_prior(current, taken))
    return len({e.drug for e in taken if e.drug != drug}) + 1


def _stops(taken: list[TkiExposure], reason: StopReason) -> list[TkiExposure]:
    """Exposures stopped for `reason`, one per drug (the first such stop)."""
    seen: dict[str, TkiExposure] = {}
    for exposure in taken:
        if exposure.stop_reason is reason and not exposure.active:
            seen.setdefault(exposure.drug, exposure)
    return list(seen.values())


def ordered_tkis(snapshot: PatientSnapshot) -> list[TkiExposure]:
    return [e for e in snapshot.tki_exposures if e.ordered and e.active]


class TkiRecord(msgspec.Struct, frozen=True, gc=False):
    """The TKIs taken, as the stages read them (each tuple in start order), derived once per call."""

    prior: tuple[TkiExposure, ...]  # other drugs started before the current TKI (all taken, when none is)
    line_number: int  # 1 for first line; each distinct earlier drug adds one
    resistance_stops: tuple[TkiExposure, ...]  # one per drug, the first such stop
    intolerance_stops: tuple[TkiExposure, ...]

    @property
    def failed(self) -> frozenset[str]:
        """The drugs stopped for resistance."""
        return frozenset(e.drug for e in self.resistance_stops)


def tki_record(snapshot: PatientSnapshot) -> TkiRecord:
    """The `TkiRecord` of `snapshot`: its exposures sorted once, each question answered from them."""
    taken = _taken(snapshot)
    prior = _prior(snapshot.current_tki, taken)
    return TkiRecord(
        prior=tuple(prior),
        line_number=_line_number(prior),
        resistance_stops=tuple(_stops(taken, StopReason.RESISTANCE)),
        intolerance_stops=tuple(_stops(taken, StopReason.INTOLERANCE)),
    )


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
