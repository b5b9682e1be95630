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
from bisect import bisect_left, bisect_right
from datetime import date
from itertools import pairwise
from operator import attrgetter

import msgspec

from ..knowledge.schema import CourseRuleRow
from ..model import Comparator, TranscriptResult

__all__ = ["DiscordantPair", "ResultSeries", "reconcile"]

_DEFAULT_DAYS = 14
_DEFAULT_LOG_DIFFERENCE = 1.0
_DEFAULT_THRESHOLDS = (10.0, 1.0, 0.1)
_TAKEN = attrgetter("taken")
#: a stretch of at most this many results that does not agree throughout has its pairs listed, not halved
_SHORT_STRETCH = 8


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


def _pairs_to_test(
    recorded: tuple[TranscriptResult, ...], days: int, log_difference: float, thresholds: tuple[float, ...]
) -> list[tuple[int, int]]:
    """The index pairs of `recorded` (date order) within `days` of each other that may disagree, in order.

    Why not every pair in the window: most results agree with all their neighbours, and a long series
    should not cost a test per pair. A stretch of the series holds no disagreeing pair when its lowest and
    highest values agree (`agree`): every value between them is then between the same thresholds and
    within the log difference too. So the search asks that of the whole series first, and halves a stretch
    only where it fails, asking it again of the results within the window on both sides of the halving
    point; a short stretch that still fails has its pairs within the window listed, and `_disagreement`
    decides each."""
    ordinals = [t.taken.toordinal() for t in recorded]
    if all(later - earlier > days for earlier, later in pairwise(ordinals)):
        return []  # no result has another within the window (the usual record: one every few months)
    levels = [_level(t) for t in recorded]
    cuts = sorted(thresholds)
    # per result, for the pair tests: how many thresholds lie below it, and its log10 (-inf for zero, which then
    # agrees with nothing here: two zeros are listed, and `_disagreement` finds they agree)
    band = [bisect_left(cuts, level) for level in levels]
    logs = [math.log10(level) if level > 0 else -math.inf for level in levels]
    pairs: list[tuple[int, int]] = []

    def agree(low: float, high: float) -> bool:
        """Within the log difference and on the same side of every threshold (`low` <= `high`)."""
        if low <= 0:
            return high <= 0
        return bisect_left(cuts, low) == bisect_left(cuts, high) and math.log10(high / low) <= log_difference

    def list_pairs(first: int, last: int, begin: int, stop: int) -> None:
        """The pairs (i, j), first <= i < last and begin <= j < stop, i < j, within the window, that do not agree."""
        for i in range(first, last):
            for j in range(max(i + 1, begin), stop):
                if ordinals[j] - ordinals[i] > days:
                    break
                if band[i] != band[j] or not -log_difference <= logs[j] - logs[i] <= log_difference:
                    pairs.append((i, j))

    def search(start: int, end: int) -> None:
        """The pairs of the stretch [start, end) that may disagree."""
        if end - start < 2:
            return
        stretch = levels[start:end]
        if agree(min(stretch), max(stretch)):
            return
        if end - start <= _SHORT_STRETCH:
            list_pairs(start, end, start, end)
            return
        middle = (start + end) // 2
        search(start, middle)
        # the pairs across the middle: from the first result within the window before it to the last after it
        first = bisect_left(ordinals, ordinals[middle] - days, start, middle)
        stop = bisect_right(ordinals, ordinals[middle - 1] + days, middle, end)
        across = levels[first:stop]
        if first < middle < stop and not agree(min(across), max(across)):
            list_pairs(first, middle, middle, stop)
        search(middle, end)

    search(0, len(recorded))
    return sorted(pairs)


def reconcile(transcripts: tuple[TranscriptResult, ...], row: CourseRuleRow | None) -> ResultSeries:
    """The decision series of `transcripts` (see the module docstring); `row` is `course.discordant-results`."""
    recorded = tuple(sorted(transcripts, key=_TAKEN))
    same_day = len({t.taken for t in recorded}) < len(recorded)
    if same_day:
        recorded = tuple(sorted(recorded, key=_rank))  # same-day results: an order the record cannot change
    days = row.days if row is not None and row.days is not None else _DEFAULT_DAYS
    log_difference = _DEFAULT_LOG_DIFFERENCE
    thresholds: tuple[float, ...] = _DEFAULT_THRESHOLDS
    if row is not None:
        log_difference = row.log_difference or log_difference
        thresholds = tuple(row.thresholds or thresholds)
    pairs = [
        DiscordantPair(recorded[i], recorded[j], why)
        for i, j in _pairs_to_test(recorded, days, log_difference, thresholds)
        if (why := _disagreement(recorded[i], recorded[j], log_difference, thresholds))
    ]
    held = {id(result): result for pair in pairs for result in (pair.first, pair.second)}
    if not held and not same_day:
        return ResultSeries(recorded, recorded, (), (), row)  # nothing to hold out or merge: the usual case
    kept = [result for result in recorded if id(result) not in held]
    if same_day:  # of agreeing results of one day, the first in rank order (the higher) stands
        kept = [result for n, result in enumerate(kept) if n == 0 or kept[n - 1].taken != result.taken]
    return ResultSeries(tuple(kept), recorded, tuple(pairs), tuple(held.values()), row)
