"""The ELN 2020 molecular milestones: which milestone a result is judged by, its band, and the history.

Rules (docs/methods/response.md; the findings are built in response.py):
- Only results taken on or after the start of the current TKI count.
- A result counts toward a milestone from `MILESTONE_WINDOW_DAYS` before it, so that a sample drawn a day
  or two early never escapes its milestone. The latest result is judged against the latest milestone whose
  window has opened; past the 12-month window the "any time" bands apply.
- >10% at 3 months is a warning until a repeat 1–3 months later confirms it (then failure).
- Once MMR (≤0.1%) was reached on the current TKI, the "any time" bands apply as well (loss of MMR is a
  warning, >1% a failure); the worse of the two classifications is kept.

`assess_history` classifies every result of a line (1,000s for a long-treated patient), so what does not
change between results is worked out once: the milestone dates of a start, the milestone table indexed by
milestone (once per table).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache, lru_cache

import msgspec

from ..findings import ResponseCategory
from ..knowledge.schema import MilestoneRow
from ..model import DETECTION_LIMIT, TkiExposure, TranscriptResult, months_between
from .kinetics import on_drug as results_on_drug

__all__ = [
    "MILESTONE_WINDOW_DAYS",
    "MMR_PERCENT",
    "MilestoneAssessment",
    "assess_history",
    "assess_milestones",
    "classify_value",
    "in_band",
    "milestone_in_force",
]

MILESTONE_WINDOW_DAYS = 42
MMR_PERCENT = 0.1
_CONFIRMATION_MIN_DAYS = 28
_CONFIRMATION_MAX_DAYS = 92
_MILESTONES = (3, 6, 12)
_RANK = {ResponseCategory.OPTIMAL: 0, ResponseCategory.WARNING: 1, ResponseCategory.FAILURE: 2}


class MilestoneAssessment(msgspec.Struct, frozen=True, gc=False):
    """How one result classifies on the current TKI, and by which knowledge row."""

    milestone: int  # 3, 6, 12; 0 = any time
    category: ResponseCategory
    row: MilestoneRow
    result: TranscriptResult
    months_on_drug: float
    confirmed_by: TranscriptResult | None = None
    loss_of_mmr: bool = False
    confirm_row: MilestoneRow | None = None  # a later milestone decided; this earlier >10% is confirmed too


@cache
def _milestone_date(start: date, months: int) -> date:
    return start + timedelta(days=round(months * 365.25 / 12))


@lru_cache(maxsize=4096)
def _windows(start: date) -> tuple[date, tuple[tuple[date, int], ...]]:
    """(the day after which "any time" applies, (the day each milestone's window opens, milestone) latest
    first) for a line started on `start`."""
    window = timedelta(days=MILESTONE_WINDOW_DAYS)
    opens = tuple((_milestone_date(start, months) - window, months) for months in reversed(_MILESTONES))
    return _milestone_date(start, 12) + window, opens


def _in_force(windows: tuple[date, tuple[tuple[date, int], ...]], taken: date) -> int | None:
    any_time_after, opens = windows
    if taken > any_time_after:
        return 0
    for opened, months in opens:
        if taken >= opened:
            return months
    return None


def milestone_in_force(start: date, taken: date) -> int | None:
    """The milestone a result taken on `taken` is judged by: 3, 6, 12, 0 (any time) or None (too early)."""
    return _in_force(_windows(start), taken)


def in_band(value: float, row: MilestoneRow) -> bool:
    """`value` (percent IS) in the row's band (above, at_most]."""
    above_ok = row.above is None or value > row.above
    below_ok = row.at_most is None or value <= row.at_most
    return above_ok and below_ok


#: A band as (above, at_most, row, the row's category): read once per table, not once per result.
_Band = tuple[float | None, float | None, MilestoneRow, ResponseCategory]


class _Bands(msgspec.Struct, frozen=True, gc=False):
    """A milestone table indexed once: the survival bands of each milestone (no confirmation-only row), in
    table order, and the first 3-month confirmation row."""

    survival: dict[int, tuple[_Band, ...]]
    confirm: MilestoneRow | None


_INDEXED: dict[int, tuple[tuple[MilestoneRow, ...], _Bands]] = {}


def _bands(rows: tuple[MilestoneRow, ...]) -> _Bands:
    """The index of `rows`, by the tuple's identity (the tuple kept beside it, so an id is never reused)."""
    known = _INDEXED.get(id(rows))
    if known is not None and known[0] is rows:
        return known[1]
    survival: dict[int, list[_Band]] = {}
    for row in rows:
        if not row.requires_confirmation and row.goal == "survival":
            band = (row.above, row.at_most, row, ResponseCategory(row.response))
            survival.setdefault(row.months, []).append(band)
    confirm = next((r for r in rows if r.months == 3 and r.requires_confirmation), None)
    bands = _Bands({months: tuple(found) for months, found in survival.items()}, confirm)
    if len(_INDEXED) >= 64:  # tables built in tests; the service has one
        _INDEXED.clear()
    _INDEXED[id(rows)] = (rows, bands)
    return bands


def _classify(value: float, months: int, bands: _Bands) -> tuple[MilestoneRow, ResponseCategory]:
    """The band `value` falls in at milestone `months`: its row and the category the row gives."""
    for above, at_most, row, category in bands.survival.get(months, ()):
        if (above is None or value > above) and (at_most is None or value <= at_most):  # in_band, inlined
            return row, category
    raise LookupError(f"no milestone band for {value}% at {months} months")


def classify_value(value: float, months: int, rows: tuple[MilestoneRow, ...]) -> MilestoneRow:
    """The band `value` (percent IS) falls in at milestone `months`, ignoring confirmation-only rows."""
    return _classify(value, months, _bands(rows))[0]


def _usable(result: TranscriptResult, months: int, bands: _Bands) -> bool:
    """A "<x" result can be classified only when x itself falls in the optimal band."""
    if result.comparator not in DETECTION_LIMIT:
        return True
    return _classify(result.percent_is, months, bands)[1] is ResponseCategory.OPTIMAL


def _confirmation(
    on_drug: list[TranscriptResult],
    index: int,
    windows: tuple[date, tuple[tuple[date, int], ...]],
    confirm: MilestoneRow | None,
) -> TranscriptResult | None:
    """The earlier >10% result that `on_drug[index]` confirms (by the 3-month row `confirm`), if any.

    Looks back only 1–3 months, so the cost per result is bounded by the results in that window.
    """
    latest = on_drug[index]
    if confirm is None or not in_band(latest.percent_is, confirm):
        return None
    for back in range(index - 1, -1, -1):
        earlier = on_drug[back]
        gap = (latest.taken - earlier.taken).days
        if gap < _CONFIRMATION_MIN_DAYS:
            continue
        if gap > _CONFIRMATION_MAX_DAYS:
            break
        if _in_force(windows, earlier.taken) == 3 and in_band(earlier.percent_is, confirm):
            return earlier
    return None


def _assess_latest(
    on_drug: list[TranscriptResult],
    index: int,
    milestone: int,
    start: date,
    windows: tuple[date, tuple[tuple[date, int], ...]],
    first_mmr: date | None,
    bands: _Bands,
) -> MilestoneAssessment:
    """Classify `on_drug[index]` as the latest usable result; `first_mmr` is the first day at ≤0.1%."""
    latest = on_drug[index]
    months = months_between(start, latest.taken)
    row, category = _classify(latest.percent_is, milestone, bands)
    confirmed_by: TranscriptResult | None = None
    confirm_row: MilestoneRow | None = None

    # The 3-month confirmation rule decides only while the latest result is in the 3-month window; later
    # the milestone the result falls in decides (its own band is failure above 10% anyway), and the card
    # says that it also confirms the earlier result.
    earlier = _confirmation(on_drug, index, windows, bands.confirm) if milestone in (3, 6) else None
    if earlier is not None and bands.confirm is not None:
        confirmed_by = earlier
        if milestone == 3:
            category, row = ResponseCategory.FAILURE, bands.confirm
        else:
            confirm_row = bands.confirm

    lost_mmr = first_mmr is not None and first_mmr < latest.taken and latest.percent_is > MMR_PERCENT
    if lost_mmr and milestone != 0:
        any_time, worse = _classify(latest.percent_is, 0, bands)
        if _RANK[worse] > _RANK[category]:
            return MilestoneAssessment(0, worse, any_time, latest, months, None, True, None)
    return MilestoneAssessment(milestone, category, row, latest, months, confirmed_by, lost_mmr, confirm_row)


def assess_history(
    exposure: TkiExposure, transcripts: tuple[TranscriptResult, ...], rows: tuple[MilestoneRow, ...]
) -> list[tuple[TranscriptResult, MilestoneAssessment | None]]:
    """For every result on `exposure`, in date order, the assessment as if it were the latest result.

    One pass over the results (the confirmation look-back is bounded to 3 months), so that stages which
    need the whole history (mutation-testing triggers, "no prior failure" for TFR) stay linear.
    """
    if exposure.start is None:
        return []
    start = exposure.start
    windows = _windows(start)
    bands = _bands(rows)
    on_drug = results_on_drug(transcripts, start)
    history: list[tuple[TranscriptResult, MilestoneAssessment | None]] = []
    current: MilestoneAssessment | None = None
    first_mmr: date | None = None
    for index, result in enumerate(on_drug):
        milestone = _in_force(windows, result.taken)
        if milestone is not None and _usable(result, milestone, bands):
            current = _assess_latest(on_drug, index, milestone, start, windows, first_mmr, bands)
        history.append((result, current))
        if result.percent_is <= MMR_PERCENT and first_mmr is None:
            first_mmr = result.taken
    return history


def assess_milestones(
    exposure: TkiExposure, transcripts: tuple[TranscriptResult, ...], rows: tuple[MilestoneRow, ...]
) -> MilestoneAssessment | None:
    """Classify the latest assessable result on `exposure`; None when nothing can be classified yet."""
    if exposure.start is None:
        return None
    start = exposure.start
    windows = _windows(start)
    bands = _bands(rows)
    on_drug = results_on_drug(transcripts, start)
    for index in range(len(on_drug) - 1, -1, -1):
        latest = on_drug[index]
        milestone = _in_force(windows, latest.taken)
        if milestone is not None and _usable(latest, milestone, bands):
            first_mmr = next((t.taken for t in on_drug if t.percent_is <= MMR_PERCENT), None)
            return _assess_latest(on_drug, index, milestone, start, windows, first_mmr, bands)
    return None
