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
    for index, first in enumerate(recorded):
        for second in recorded[index + 1 :]:
            if (second.taken - first.taken).days > days:
                break
            why = _disagreement(first, second, log_difference, thresholds)
            if why:
                pairs.append(DiscordantPair(first, second, why))
                held[id(first)] = first
                held[id(second)] = second
    kept: list[TranscriptResult] = []
    for result in recorded:
        if id(result) in held:
            continue
        if kept and kept[-1].taken == result.taken:
            continue  # an agreeing result of the same day: the first in rank order (the higher) stands
        kept.append(result)
    return ResultSeries(tuple(kept), recorded, tuple(pairs), tuple(held.values()), row)
