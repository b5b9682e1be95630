"""BCR::ABL1 kinetics on the current TKI: log reduction, halving time, ≥1-log rise, confirmed >1%.

These add context to a milestone card; none of them changes an ELN class on its own.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from datetime import date, timedelta
from operator import attrgetter

import msgspec

from ..knowledge.loader import Knowledge
from ..model import DETECTION_LIMIT, TranscriptResult

__all__ = [
    "LOG_RISE_FACTOR",
    "Kinetics",
    "baseline_result",
    "confirmed_above",
    "halving_time_days",
    "kinetics",
    "latest_result",
    "log_rise",
    "log_rise_floor",
    "on_drug",
]

LOG_RISE_FACTOR = 10.0
_TAKEN = attrgetter("taken")
_BASELINE_LOOKBACK = timedelta(days=92)


class Kinetics(msgspec.Struct, frozen=True, gc=False):
    """Kinetics of the latest result against the baseline and the nadir on the current TKI."""

    baseline: TranscriptResult | None
    baseline_on_drug: bool
    log_reduction: float | None
    halving_days: float | None
    nadir: TranscriptResult | None
    rise_factor: float | None


def taken_between(
    transcripts: tuple[TranscriptResult, ...], first: date, before: date | None = None
) -> list[TranscriptResult]:
    """The results taken on or after `first` (and before `before`, when given), in date order.

    `transcripts` is the clinical state's decision series, already in date order (state/series.py).
    """
    ordered = transcripts
    low = bisect_left(ordered, first, key=_TAKEN)
    high = len(ordered) if before is None else bisect_left(ordered, before, low, key=_TAKEN)
    return list(ordered[low:high])


def latest_result(transcripts: tuple[TranscriptResult, ...]) -> TranscriptResult | None:
    """The latest result of the decision series (one per day, in date order), None without any."""
    return transcripts[-1] if transcripts else None


def on_drug(transcripts: tuple[TranscriptResult, ...], start: date) -> list[TranscriptResult]:
    """The results taken on or after `start`, in date order (stable: same-day results keep their order)."""
    return taken_between(transcripts, start)


def baseline_result(transcripts: tuple[TranscriptResult, ...], start: date) -> tuple[TranscriptResult | None, bool]:
    """The last result in the 3 months before `start`, else the first on the drug (flag True)."""
    earliest = start - _BASELINE_LOOKBACK if start > date.min + _BASELINE_LOOKBACK else date.min
    window = taken_between(transcripts, earliest, start)
    before = [t for t in window if t.comparator not in DETECTION_LIMIT and t.percent_is > 0]
    if before:
        return max(before, key=_TAKEN), False
    after = [t for t in on_drug(transcripts, start) if t.comparator not in DETECTION_LIMIT and t.percent_is > 0]
    return (after[0], True) if after else (None, True)


def halving_time_days(first: TranscriptResult, later: TranscriptResult) -> float | None:
    """Days for BCR::ABL1 to halve between two detectable results; None unless it fell."""
    days = (later.taken - first.taken).days
    if days <= 0 or later.comparator in DETECTION_LIMIT or not 0 < later.percent_is < first.percent_is:
        return None
    ratio = first.percent_is / later.percent_is
    return days * math.log(2) / math.log(ratio) if math.isfinite(ratio) else None


def log_rise(results: list[TranscriptResult], floor: float = 0.0) -> tuple[TranscriptResult, float] | None:
    """(nadir, factor) when the latest detectable result is ≥10× the lowest earlier one and above `floor`.

    `floor` (percent IS) is the assay floor below which a rise is noise (MR4.5 → MR4).
    An undetectable nadir counts with its sensitivity limit: the true level was below it, so a rise
    measured from the limit understates the true rise.
    """
    if len(results) < 2 or results[-1].comparator in DETECTION_LIMIT or results[-1].percent_is <= floor:
        return None
    latest = results[-1]
    earlier = [t for t in results[:-1] if t.percent_is > 0]
    if not earlier:
        return None
    nadir = min(earlier, key=lambda t: t.percent_is)
    factor = latest.percent_is / nadir.percent_is
    return (nadir, factor) if factor >= LOG_RISE_FACTOR else None


def confirmed_above(results: list[TranscriptResult], threshold: float) -> bool:
    """The last two results are both above `threshold` (ELN 2013 'confirmed' loss: two consecutive)."""
    last_two = results[-2:]
    return len(last_two) == 2 and all(
        t.comparator not in DETECTION_LIMIT and t.percent_is > threshold for t in last_two
    )


def kinetics(transcripts: tuple[TranscriptResult, ...], start: date, floor: float = 0.0) -> Kinetics:
    """Kinetics of the latest result on the line started on `start` (a rise only above `floor`, % IS)."""
    results = on_drug(transcripts, start)
    baseline, baseline_on_drug = baseline_result(transcripts, start)
    latest = results[-1] if results else None
    reduction = None
    halving = None
    if baseline is not None and latest is not None and latest is not baseline:
        ratio = baseline.percent_is / latest.percent_is if latest.percent_is > 0 else math.inf
        if latest.comparator not in DETECTION_LIMIT and 0 < ratio < math.inf:  # the mapping bounds values; defensive
            reduction = math.log10(ratio)
        halving = halving_time_days(baseline, latest)
    rise = log_rise(results, floor)
    return Kinetics(
        baseline=baseline,
        baseline_on_drug=baseline_on_drug,
        log_reduction=reduction,
        halving_days=halving,
        nadir=rise[0] if rise else None,
        rise_factor=rise[1] if rise else None,
    )


def log_rise_floor(knowledge: Knowledge) -> float:
    """The assay floor above which a ≥1-log rise is raised (course row `log-rise-floor`; 0 without it)."""
    row = knowledge.course_rule("log-rise-floor")
    return row.percent if row is not None and row.percent is not None else 0.0
