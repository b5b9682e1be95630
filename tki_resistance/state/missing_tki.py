"""No TKI on the medication list, yet results that show treatment: the TKI is missing from the record.

A patient with no TKI taken or ordered is a new diagnosis (lines.off_treatment) — unless the BCR::ABL1
results fall by at least a log (course row `tki-missing`): untreated CML does not do that, so the TKI is
missing from the medication list and no milestone can be judged until it is recorded with its start date.
"""

from __future__ import annotations

import math

import msgspec

from ..knowledge.schema import CourseRuleRow
from ..model import DETECTION_LIMIT, TranscriptResult

__all__ = ["MissingTki", "missing_tki"]


class MissingTki(msgspec.Struct, frozen=True, gc=False):
    """The highest earlier result and the latest, `logs` apart (a fall)."""

    highest: TranscriptResult
    latest: TranscriptResult
    logs: float
    row: CourseRuleRow


def missing_tki(results: tuple[TranscriptResult, ...], row: CourseRuleRow | None) -> MissingTki | None:
    """The fall that shows treatment in the decision series `results` (date order), or None."""
    if row is None or row.log_difference is None or len(results) < 2:
        return None
    latest = results[-1]
    earlier = [r for r in results[:-1] if r.comparator not in DETECTION_LIMIT and r.percent_is > 0]
    if not earlier:
        return None
    highest = max(earlier, key=lambda r: (r.percent_is, r.taken))
    # an undetectable latest result counts at its limit (the true level is lower still); 0 is below any
    level = latest.percent_is
    logs = math.inf if level <= 0 else math.log10(highest.percent_is / level)
    return MissingTki(highest, latest, logs, row) if logs >= row.log_difference else None
