"""The reconciled BCR::ABL1 series: one answer whatever the order of the results in the record.

Two results of one day that agree are one data point (the higher is kept: the conservative reading). Two
results close in time that disagree — more than a log apart, or on either side of a decision threshold
(10%, 1%, 0.1% IS) — are a *discordant pair* (course row `discordant-results`): a decision resting on
either would depend on which one the laboratory sent last, so both are held out of the decision series and
the `discordant-results` card names them and asks for a repeat. The decision series is in date order with
at most one result per day, so every stage reads it without sorting again.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from datetime import date
from operator import attrgetter

import msgspec

from ..knowledge.schema import CourseRuleRow
from ..model import Comparator, TranscriptResult

__all__ = ["DiscordantPair", "ResultSeries", "reconcile"]

_DEFAULT_DAYS = 14
_DEFAULT_LOG_DIFFERENCE = 1.0
_DEFAULT_THRESHOLDS = (10.0, 1.0, 0.1)
_TAKEN = attrgetter("taken")


class DiscordantPair(msgspec.Struct, frozen=True, gc=False):
    """Two results within the window that cannot both be right: `why` says how they disagree."""

    first: TranscriptResult
    second: TranscriptResult
    why: str


class ResultSeries(msgspec.Struct, frozen=True, gc=False):
    """`results`: the decision series (date order, one per day, discordant results held out).

    `recorded`: every result as recorded, in date order (for "when was the last test" questions).
    `held`: the results of discordant pairs, named on the card, used for no decision.
    """

    results: tuple[TranscriptResult, ...]
    recorded: tuple[TranscriptResult, ...]
    discordant: tuple[DiscordantPair, ...] = ()
    held: tuple[TranscriptResult, ...] = ()
    row: CourseRuleRow | None = None

    @property
    def latest_recorded(self) -> TranscriptResult | None:
        return self.recorded[-1] if self.recorded else None


def _level(result: TranscriptResult) -> float:
    """The value compared: the reported value, or the sensitivity limit of an undetectable result."""
    return result.percent_is


def _rank(result: TranscriptResult) -> tuple[date, int, float, str]:
    """Date order; within a day the highest true level first (a measured value above a limit), then by id:
    an order that does not depend on the order of the record."""
    measured = 0 if result.comparator is Comparator.EQUAL and result.detected else 1
    return result.taken, measured, -result.percent_is, result.source


def _disagreement(
    a: TranscriptResult, b: TranscriptResult, log_difference: float, thresholds: tuple[float, ...]
) -> str:
    """Why two results disagree, or "" when they agree."""
    low, high = sorted((_level(a), _level(b)))
    both_below = a.comparator is not Comparator.EQUAL and b.comparator is not Comparator.EQUAL
    if both_below:
        return ""  # two undetectable results with different limits say the same thing
    if low > 0 and math.log10(high / low) > log_difference:
        return f"{math.log10(high / low):.1f} logs apart"
    if low <= 0 < high:
        return "one undetectable, one measurable"
    for threshold in thresholds:
        if low <= threshold < high:
            return f"on either side of {threshold:g}% IS"
    return ""


def reconcile(transcripts: tuple[TranscriptResult, ...], row: CourseRuleRow | None) -> ResultSeries:
    """The decision series of `transcripts` (see the module docstring); `row` is `course.discordant-results`."""
    recorded = tuple(sorted(transcripts, key=_TAKEN))
    if len({t.taken for t in recorded}) < len(recorded):
        recorded = tuple(sorted(recorded, key=_rank))  # same-day results: an order the record cannot change
    days = row.days if row is not None and row.days is not None else _DEFAULT_DAYS
    log_difference = _DEFAULT_LOG_DIFFERENCE
    thresholds: tuple[float, ...] = _DEFAULT_THRESHOLDS
    if row is not None:
        log_difference = getattr(row, "log_difference", None) or log_difference
        thresholds = tuple(getattr(row, "thresholds", None) or thresholds)
    pairs: list[DiscordantPair] = []
    held: dict[int, TranscriptResult] = {}
    # what each pair test reads, worked out once per result: the day, whether it is a measured value, and how
    # many thresholds lie below it (two results straddle a threshold when those counts differ)
    ordinals = [t.taken.toordinal() for t in recorded]
    measured = [t.comparator is Comparator.EQUAL for t in recorded]
    cuts = sorted(thresholds)
    below = [bisect_left(cuts, t.percent_is) for t in recorded]  # thresholds strictly below the value
    logs = [math.log10(t.percent_is) if t.percent_is > 0 else None for t in recorded]
    count = len(recorded)
    for i in range(count):
        day_i, log_i, below_i, measured_i = ordinals[i], logs[i], below[i], measured[i]
        for j in range(i + 1, count):
            if ordinals[j] - day_i > days:
                break
            if not (measured_i or measured[j]):
                continue  # two undetectable results with different limits say the same thing
            log_j = logs[j]
            if below[j] == below_i:
                if log_i is None or log_j is None:
                    if (log_i is None) == (log_j is None):
                        continue
                elif -log_difference <= log_j - log_i <= log_difference:
                    continue  # the same side of every threshold and within the log difference: they agree
            why = _disagreement(recorded[i], recorded[j], log_difference, thresholds)
            if why:
                pairs.append(DiscordantPair(recorded[i], recorded[j], why))
                held[id(recorded[i])] = recorded[i]
                held[id(recorded[j])] = recorded[j]
    kept: list[TranscriptResult] = []
    for result in recorded:
        if id(result) in held:
            continue
        if kept and kept[-1].taken == result.taken:
            continue  # an agreeing result of the same day: the first in rank order (the higher) stands
        kept.append(result)
    return ResultSeries(tuple(kept), recorded, tuple(pairs), tuple(held.values()), row)
