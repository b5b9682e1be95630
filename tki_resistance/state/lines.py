"""The course of the disease: treatment lines, and where the patient is off treatment (TFR, after transplant).

Lines (docs/methods/lines.md): the taken TKI records in start order; a record joins the line before it when
it is the same drug, that line was not stopped for TFR, and the gap between the line's last end and the
record's start is at most the `line-interruption` row's days. Everything that counts months on therapy
(milestones, `response.months`, the any-time bands) counts from the line's start, because
`PatientSnapshot.current_tki` returns the latest record dated from its line's start once `with_lines` ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import msgspec

from ..knowledge.loader import Knowledge
from ..model import (
    DETECTION_LIMIT,
    PatientSnapshot,
    StopReason,
    TkiExposure,
    TranscriptResult,
    TreatmentLine,
)

__all__ = [
    "OffTreatment",
    "build_lines",
    "failed_tfr_attempt",
    "first_loss_of_mmr",
    "off_treatment",
    "tfr_stops",
    "with_lines",
]

_DEFAULT_GAP_DAYS = 92  # only when the knowledge base lacks the row; the row is the reviewed value


def _gap_days(knowledge: Knowledge) -> int:
    row = knowledge.course_rule("line-interruption")
    return row.days if row is not None and row.days is not None else _DEFAULT_GAP_DAYS


def _is_tfr_stop(exposure: TkiExposure) -> bool:
    return not exposure.active and exposure.stop_reason is StopReason.TFR


def _record_order(exposure: TkiExposure) -> tuple[date, date, str]:
    """Start order; records of one start by end and id, so the lines never depend on the record's order."""
    return exposure.start or date.min, exposure.end or date.max, exposure.source


def build_lines(exposures: tuple[TkiExposure, ...], max_gap_days: int) -> tuple[TreatmentLine, ...]:
    """Group the taken (not merely ordered) records into lines; see the module docstring."""
    taken = sorted((e for e in exposures if not e.ordered), key=_record_order)
    lines: list[TreatmentLine] = []
    for record in taken:
        previous = lines[-1] if lines else None
        if previous is not None and previous.drug == record.drug and not _is_tfr_stop(previous.last):
            ends = [r.end for r in previous.records if r.end is not None]
            still_on = any(r.active or r.end is None for r in previous.records)
            gap = (record.start - max(ends)).days if ends and record.start and not still_on else 0
            if gap <= max_gap_days:
                # a line whose first record has no start takes the first known one (as before lines existed)
                start = previous.start or record.start
                lines[-1] = TreatmentLine.of(previous.drug, start, (*previous.records, record), previous.after_tfr)
                continue
        after_tfr = previous is not None and _is_tfr_stop(previous.last)
        lines.append(TreatmentLine.of(record.drug, record.start, (record,), after_tfr))
    return tuple(lines)


def with_lines(snapshot: PatientSnapshot, knowledge: Knowledge) -> PatientSnapshot:
    """The snapshot with its treatment lines derived (idempotent)."""
    if snapshot.lines is not None:
        return snapshot
    return msgspec.structs.replace(snapshot, lines=build_lines(snapshot.tki_exposures, _gap_days(knowledge)))


def tfr_stops(snapshot: PatientSnapshot) -> list[TkiExposure]:
    """Records stopped for treatment-free remission, in date order."""
    stops = [e for e in snapshot.tki_exposures if _is_tfr_stop(e) and not e.ordered]
    return sorted(stops, key=lambda e: e.end or e.start or date.min)


class OffTreatment(msgspec.Struct, frozen=True, gc=False):
    """Why the patient is on no TKI: `tfr` (with the stopped line), `after-sct`, or `new-diagnosis`."""

    kind: str
    since: date | None
    line: TreatmentLine | None = None  # tfr: the line that was stopped


def _last_line(snapshot: PatientSnapshot) -> TreatmentLine | None:
    lines = snapshot.lines if snapshot.lines is not None else build_lines(snapshot.tki_exposures, _DEFAULT_GAP_DAYS)
    return max(lines, key=lambda line: line.start or date.min) if lines else None


def off_treatment(snapshot: PatientSnapshot) -> OffTreatment | None:
    """The off-treatment state, or None when a TKI is current (or the record cannot tell).

    TFR: the latest line was stopped for TFR, or stopped without a resistance or intolerance reason while a
    TFR goal is recorded. After transplant: an allogeneic transplant on record. New diagnosis: no TKI taken
    and none ordered.
    """
    if snapshot.current_tki is not None:
        return None
    last = _last_line(snapshot)
    if last is not None and last.end is not None:
        reason = last.stop_reason
        goal_stop = snapshot.tfr_goal and reason not in (StopReason.RESISTANCE, StopReason.INTOLERANCE)
        if reason is StopReason.TFR or goal_stop:
            return OffTreatment("tfr", last.end, last)
    if snapshot.allogeneic_transplant is not None:
        return OffTreatment("after-sct", snapshot.allogeneic_transplant)
    if last is None and not any(e.ordered and e.active for e in snapshot.tki_exposures):
        return OffTreatment("new-diagnosis", None)
    return None


def first_loss_of_mmr(results: Sequence[TranscriptResult], since: date, mmr_percent: float) -> TranscriptResult | None:
    """The first detectable result above `mmr_percent` taken after `since`."""
    return next(
        (
            t
            for t in results
            if t.taken > since and t.detected and t.comparator not in DETECTION_LIMIT and t.percent_is > mmr_percent
        ),
        None,
    )


def failed_tfr_attempt(snapshot: PatientSnapshot, mmr_percent: float) -> TkiExposure | None:
    """The TFR stop of an attempt that failed (a later restart, or loss of MMR after it), else None."""
    starts = [e.start for e in snapshot.tki_exposures if e.start is not None and not e.ordered]
    ordered = snapshot.transcripts  # the decision series, in date order
    for stop in tfr_stops(snapshot):
        if stop.end is None:
            continue
        if any(start > stop.end for start in starts) or first_loss_of_mmr(ordered, stop.end, mmr_percent):
            return stop
    return None
