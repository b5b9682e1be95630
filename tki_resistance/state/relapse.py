"""A relapse off treatment: loss of MMR in treatment-free remission, or molecular relapse after transplant.

- TFR: the first result above MMR (>0.1% IS) after the TFR stop (course row `tfr-loss-of-mmr`), unless a
  TKI order dated on or after it shows the restart under way.
- After allogeneic transplant, on no TKI: the latest result after the transplant is a molecular relapse
  when it is detectable after a negative result, above MMR after a result in MMR, or ≥1 log above the
  lowest result since the transplant (and above the assay floor, course row `log-rise-floor`).
"""

from __future__ import annotations

import msgspec

from ..knowledge.loader import Knowledge
from ..knowledge.schema import CourseRuleRow
from ..model import DETECTION_LIMIT, PatientSnapshot, TranscriptResult
from .kinetics import LOG_RISE_FACTOR, log_rise_floor
from .lines import OffTreatment, first_loss_of_mmr, off_treatment
from .milestones import MMR_PERCENT

__all__ = ["Relapse", "detect_relapse"]


class Relapse(msgspec.Struct, frozen=True, gc=False):
    """A relapse off treatment: `kind` tfr / after-sct, the result that shows it, why, and the reference."""

    kind: str
    result: TranscriptResult
    why: str
    reference: TranscriptResult | None = None


def _negative(result: TranscriptResult) -> bool:
    return not result.detected or result.comparator in DETECTION_LIMIT or result.percent_is <= 0


def _mmr(row: CourseRuleRow | None) -> float:
    return row.percent if row is not None and row.percent is not None else MMR_PERCENT


def _sct_relapse(snapshot: PatientSnapshot, knowledge: Knowledge) -> Relapse | None:
    sct = snapshot.allogeneic_transplant
    if sct is None:
        return None
    after = sorted((t for t in snapshot.transcripts if t.taken > sct), key=lambda t: t.taken)
    if len(after) < 2 or _negative(after[-1]):
        return None
    latest, earlier = after[-1], after[:-1]
    negatives = [t for t in earlier if _negative(t)]
    if negatives:
        return Relapse("after-sct", latest, "detectable again after a negative result", negatives[-1])
    mmr = _mmr(knowledge.course_rule("sct-molecular-relapse"))
    in_mmr = [t for t in earlier if t.percent_is <= mmr]
    if in_mmr and latest.percent_is > mmr:
        return Relapse("after-sct", latest, f"loss of MMR (>{mmr:g}% after ≤{mmr:g}%)", in_mmr[-1])
    nadir = min(earlier, key=lambda t: t.percent_is)
    if latest.percent_is >= LOG_RISE_FACTOR * nadir.percent_is and latest.percent_is > log_rise_floor(knowledge):
        factor = latest.percent_is / nadir.percent_is
        return Relapse("after-sct", latest, f"≥1-log rise ({factor:.0f}-fold above the lowest result)", nadir)
    return None


def _restart_ordered(snapshot: PatientSnapshot, loss: TranscriptResult) -> bool:
    """An open TKI order dated on or after the loss of MMR: the restart is under way."""
    return any(e.ordered and e.active and (e.start or loss.taken) >= loss.taken for e in snapshot.tki_exposures)


def detect_relapse(snapshot: PatientSnapshot, knowledge: Knowledge) -> tuple[OffTreatment, Relapse] | None:
    """The off-treatment state and the relapse it shows, or None."""
    state = off_treatment(snapshot)
    if state is None:
        return None
    if state.kind == "tfr" and state.since is not None:
        row = knowledge.course_rule("tfr-loss-of-mmr")
        if row is None:
            return None
        loss = first_loss_of_mmr(snapshot.transcripts, state.since, _mmr(row))
        if loss is None or _restart_ordered(snapshot, loss):
            return None
        return state, Relapse("tfr", loss, f"loss of MMR (>{_mmr(row):g}% IS)")
    if state.kind == "after-sct" and knowledge.course_rule("sct-molecular-relapse") is not None:
        relapse = _sct_relapse(snapshot, knowledge)
        return (state, relapse) if relapse is not None else None
    return None
