"""A label dose step inside a line: ponatinib reduced to 15 mg at ≤1% IS, and the response then lost.

The ELN verdict stays what ELN says (>1% at any time is failure), but the label's first action is to go back
up to the previously tolerated dose (30–45 mg), with mutation testing; changing the TKI and the transplant
referral lead only once the re-escalated course has failed. One card says this (the milestone card), and no
other card of the call may contradict it: the state carries the step so that every stage reads the same.
The label rule is for chronic phase (OPTIC): never applied in accelerated or blast phase.
"""

from __future__ import annotations

import msgspec

from ..knowledge.loader import Knowledge
from ..knowledge.schema import DoseRow
from ..model import PatientSnapshot, TkiExposure, TranscriptResult
from .kinetics import on_drug

__all__ = ["LabelStep", "label_step", "ponatinib_response_row"]

_RESPONSE_PERCENT = 1.0


class LabelStep(msgspec.Struct, frozen=True, gc=False):
    """The reduced dose (`after`, the current record), the record before the reduction where the line shows
    one (`before`), the label's row, and the result that shows the response lost."""

    drug: str
    row: DoseRow
    before: TkiExposure | None
    after: TkiExposure
    lost: TranscriptResult

    @property
    def reduction(self) -> str:
        """ "45 → 15 mg/day", or "15 mg/day" when the record does not show the dose before."""
        now = f"{self.after.daily_dose_mg or 0:g}"
        if self.before is None:
            return f"{now} mg/day"
        return f"{self.before.daily_dose_mg or 0:g} → {now} mg/day"


def ponatinib_response_row(knowledge: Knowledge, advanced: bool) -> DoseRow | None:
    """The ponatinib 45 → 15 mg at ≤1% row, when it applies to this phase (chronic phase only)."""
    row = next((r for r in knowledge.doses if r.tki == "ponatinib" and r.situation == "response-le-1pct"), None)
    if row is None or (row.phase == "chronic" and advanced):
        return None
    return row


def label_step(snapshot: PatientSnapshot, advanced: bool, knowledge: Knowledge) -> LabelStep | None:
    """The step, when the current line was reduced by the label and the response was lost after it."""
    line = snapshot.current_line
    current = snapshot.current_tki
    row = ponatinib_response_row(knowledge, advanced)
    if line is None or current is None or current.start is None or row is None or current.drug != row.tki:
        return None
    if current.daily_dose_mg is None or current.daily_dose_mg > row.daily_mg:
        return None  # re-escalated already: a loss of response now is a failure of the TKI
    reductions = [
        (before, after)
        for before, after in line.dose_changes()
        if (after.daily_dose_mg or 0.0) <= row.daily_mg < (before.daily_dose_mg or 0.0)
    ]
    before, after = reductions[-1] if reductions else (None, current)
    results = on_drug(snapshot.transcripts, current.start)
    if len(results) < 2 or results[-1].percent_is <= _RESPONSE_PERCENT:
        return None
    if not any(t.percent_is <= _RESPONSE_PERCENT for t in results[:-1]):
        return None  # never reached ≤1%: not a loss of response after a label reduction
    return LabelStep(row.tki, row, before, after, results[-1])
