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
from datetime import date, timedelta
from functools import partial
from itertools import groupby, pairwise
from operator import attrgetter

import msgspec

from ..knowledge.schema import CourseRuleRow
from ..model import DETECTION_LIMIT, TranscriptResult

__all__ = ["Discordance", "DiscordantPair", "ResultSeries", "reconcile"]

_TAKEN = attrgetter("taken")
#: the value compared: the reported value, or the sensitivity limit of an undetectable result
_LEVEL = attrgetter("percent_is")
#: "more than a log apart" is asked of log10 differences, which carry rounding: 0.025 and 0.0025 come out
#: 1.0000000000000002 logs apart. A margin far below any reported precision keeps "exactly a log" agreeing.
_ROUNDING = 1e-9
#: a stretch of at most this many results that does not agree throughout has its pairs listed, not halved
_SHORT_STRETCH = 8


class Discordance(msgspec.Struct, frozen=True, gc=False):
    """When two results disagree (course row `discordant-results`, or these defaults without it)."""

    days: int = 14
    log_difference: float = 1.0
    thresholds: tuple[float, ...] = (10.0, 1.0, 0.1)

    @classmethod
    def from_row(cls, row: CourseRuleRow | None) -> Discordance:
        default = cls()
        if row is None:
            return default
        return cls(
            days=row.days if row.days is not None else default.days,
            log_difference=row.log_difference or default.log_difference,
            thresholds=tuple(row.thresholds or default.thresholds),
        )

    def why(self, a: TranscriptResult, b: TranscriptResult) -> str:
        """Why two results disagree, or "" when they agree: the rule, read literally."""
        low, high = sorted((_LEVEL(a), _LEVEL(b)))
        if a.comparator in DETECTION_LIMIT and b.comparator in DETECTION_LIMIT:
            return ""  # two undetectable results with different limits say the same thing
        if low > 0 and (apart := math.log10(high) - math.log10(low)) > self.log_difference + _ROUNDING:
            return f"{apart:.1f} logs apart"
        if low <= 0 < high:
            return "one undetectable, one measurable"
        for threshold in self.thresholds:
            if low <= threshold < high:
                return f"on either side of {threshold:g}% IS"
        return ""


class DiscordantPair(msgspec.Struct, frozen=True, gc=False):
    """Two results within the window that cannot both be right; `why` says how they disagree."""

    first: TranscriptResult
    second: TranscriptResult
    rule: Discordance

    @property
    def why(self) -> str:
        """Worked out when a card names the pair (a noisy record has thousands, and a card shows five)."""
        return self.rule.why(self.first, self.second)


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


def _rank(result: TranscriptResult) -> tuple[date, int, float, str]:
    """Date order; within a day the highest true level first (a measured value above a limit), then by id:
    an order that does not depend on the order of the record."""
    measured = 0 if result.comparator not in DETECTION_LIMIT and result.detected else 1
    return result.taken, measured, -result.percent_is, result.source


def _blocks_to_test(
    dates: list[date], levels: list[float], cuts: list[float], window: timedelta, log_difference: float
) -> list[tuple[int, int, int, int]]:
    """Where disagreeing pairs may be: blocks (first, last, begin, stop), the pairs (i, j) with first <= i < last,
    begin <= j < stop and i < j still to test.

    Why not every pair in the window: most results agree with all their neighbours, and a long series
    should not cost a test per pair. A stretch of the series holds no disagreeing pair when its lowest and
    highest values agree (`agree`): every value between them is then between the same thresholds and
    within the log difference too. So the search asks that of the whole series first, and halves a stretch
    only where it fails, asking it again of the results within the window on both sides of the halving
    point; a short stretch that still fails is a block."""
    blocks: list[tuple[int, int, int, int]] = []

    def agree(low: float, high: float) -> bool:
        """Within the log difference and on the same side of every threshold (`low` <= `high`)."""
        if low <= 0:
            return high <= 0
        return (
            bisect_left(cuts, low) == bisect_left(cuts, high) and math.log10(high) - math.log10(low) <= log_difference
        )

    def search(start: int, end: int) -> None:
        if end - start < 2:
            return
        stretch = levels[start:end]
        if agree(min(stretch), max(stretch)):
            return
        if end - start <= _SHORT_STRETCH:
            blocks.append((start, end, start, end))
            return
        middle = (start + end) // 2
        search(start, middle)
        # the pairs across the middle: from the first result within the window before it to the last after it
        first = bisect_left(dates, dates[middle] - window, start, middle)
        stop = bisect_right(dates, dates[middle - 1] + window, middle, end)
        across = levels[first:stop]
        if first < middle < stop and not agree(min(across), max(across)):
            blocks.append((first, middle, middle, stop))
        search(middle, end)

    search(0, len(levels))
    return blocks


def _discordant(recorded: tuple[TranscriptResult, ...], rule: Discordance) -> list[tuple[int, int]]:
    """The index pairs of `recorded` (date order) within the window of each other that disagree, in order.

    The pairs of the blocks `_blocks_to_test` finds are tested one by one, on each result's band (how many
    thresholds lie below it), log10 and comparator: `Discordance.why` on those numbers, worked out once per
    result (tests/tki_resistance/test_series.py holds the two to each other)."""
    window, log_difference = timedelta(days=rule.days), rule.log_difference + _ROUNDING
    dates = list(map(_TAKEN, recorded))
    if all(later - earlier > window for earlier, later in pairwise(dates)):
        return []  # no result has another within the window (the usual record: one every few months)
    levels = list(map(_LEVEL, recorded))
    cuts = sorted(rule.thresholds)
    blocks = _blocks_to_test(dates, levels, cuts, window, log_difference)
    if not blocks:
        return []
    # worked out for the part of the series the blocks cover (a long record's noise is seldom all of it)
    low, high = min(block[0] for block in blocks), max(block[3] for block in blocks)
    band, logs, limit = [0] * len(levels), [0.0] * len(levels), [False] * len(levels)
    band[low:high] = map(partial(bisect_left, cuts), levels[low:high])
    # -inf for zero: more than any log difference from a measurable result, and no difference (nan) from zero
    logs[low:high] = [math.log10(level) if level > 0 else -math.inf for level in levels[low:high]]
    limit[low:high] = [result.comparator in DETECTION_LIMIT for result in recorded[low:high]]
    pairs: list[tuple[int, int]] = []
    for first, last, begin, stop in blocks:
        for i in range(first, last):
            band_i, log_i, limit_i = band[i], logs[i], limit[i]
            start = max(i + 1, begin)
            for j in range(start, bisect_right(dates, dates[i] + window, start, stop)):
                if (band[j] != band_i or abs(logs[j] - log_i) > log_difference) and not (limit_i and limit[j]):
                    pairs.append((i, j))
    return sorted(pairs)


def reconcile(transcripts: tuple[TranscriptResult, ...], row: CourseRuleRow | None) -> ResultSeries:
    """The decision series of `transcripts` (see the module docstring); `row` is `course.discordant-results`."""
    same_day = len({t.taken for t in transcripts}) < len(transcripts)
    # date order; same-day results also ranked (`_rank`), so their order is not the record's
    recorded = tuple(sorted(transcripts, key=_rank if same_day else _TAKEN))
    rule = Discordance.from_row(row)
    found = _discordant(recorded, rule)
    if not found and not same_day:
        return ResultSeries(recorded, recorded, (), (), row)  # nothing to hold out or merge: the usual case
    pairs = tuple(DiscordantPair(recorded[i], recorded[j], rule) for i, j in found)
    held = sorted({index for pair in found for index in pair})
    # the results between the held ones, a slice each (a noisy record holds a few hundred of ten thousand)
    kept: list[TranscriptResult] = []
    for after, before in pairwise([-1, *held, len(recorded)]):
        kept += recorded[after + 1 : before]
    if same_day:  # of agreeing results of one day, the first in rank order (the higher) stands
        kept = [next(results_of_the_day) for _, results_of_the_day in groupby(kept, _TAKEN)]
    return ResultSeries(tuple(kept), recorded, pairs, tuple(recorded[index] for index in held), row)
