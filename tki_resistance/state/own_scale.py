"""An atypical transcript's own series: its transcript-specific results, on their own scale, never the IS.

Standard IS qPCR does not measure e1a2, e19a2, e13a3 or e14a3; a transcript-specific assay reports
BCR::ABL1/control as a ratio that compares only with the same patient's earlier results of the same
transcript (course row `own-scale`). So each transcript's results are one series of their own: in date order,
one per day (two results of one day: the higher stands, the conservative reading), ties broken by the record
id so that nothing depends on the order of the Bundle. The trend is read against the current line:

- the *baseline*: the last measurable result in the 3 months before the line started, else the first on it;
- the *nadir*: the lowest result on the line before the latest (an undetectable one at its limit);
- a *≥1-log rise* from the nadir and the first result of that rise at or above the level where kinase-domain
  testing is feasible (row `own-scale-kd-floor`): the trigger for mutation testing;
- *detectable again*: the latest result detectable, the one before it not.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import msgspec

from ..model import DETECTION_LIMIT, OwnScaleResult

__all__ = ["OwnScaleSeries", "own_scale_series"]

_BASELINE_LOOKBACK = timedelta(days=92)
_LOG_RISE = 1.0


class OwnScaleSeries(msgspec.Struct, frozen=True, gc=False):
    """One transcript's own series and its trend on the current line (all results when there is no line)."""

    transcript: str
    results: tuple[OwnScaleResult, ...]  # date order, one per day
    line: tuple[OwnScaleResult, ...]  # the results on the current line (or all of them)
    baseline: OwnScaleResult | None
    nadir: OwnScaleResult | None
    log_change: float | None  # log10(latest / baseline): negative is a reduction
    log_rise: float | None  # log10(latest / nadir) when the latest is measured and above the nadir
    rise_trigger: OwnScaleResult | None  # the first result of a ≥1-log rise at or above the KD-testing floor
    detectable_again: bool  # the latest result detectable after an undetectable one

    @property
    def latest(self) -> OwnScaleResult | None:
        return self.results[-1] if self.results else None


def _measured(result: OwnScaleResult) -> bool:
    return result.comparator not in DETECTION_LIMIT and result.detected and result.percent > 0


def _rank(result: OwnScaleResult) -> tuple[date, int, float, str]:
    """Date order; within a day a measured value first, then the higher, then by id."""
    return result.taken, 0 if _measured(result) else 1, -result.percent, result.source


def _one_per_day(results: list[OwnScaleResult]) -> tuple[OwnScaleResult, ...]:
    kept: list[OwnScaleResult] = []
    for result in sorted(results, key=_rank):
        if kept and kept[-1].taken == result.taken:
            continue
        kept.append(result)
    return tuple(kept)


def _baseline(results: tuple[OwnScaleResult, ...], start: date | None) -> OwnScaleResult | None:
    if start is None:
        return next((r for r in results if _measured(r)), None)
    before = [r for r in results if start - _BASELINE_LOOKBACK <= r.taken < start and _measured(r)]
    if before:
        return before[-1]
    return next((r for r in results if r.taken >= start and _measured(r)), None)


def _series(transcript: str, results: list[OwnScaleResult], start: date | None, kd_floor: float) -> OwnScaleSeries:
    ordered = _one_per_day(results)
    line = tuple(r for r in ordered if start is None or r.taken >= start)
    baseline = _baseline(ordered, start)
    latest = line[-1] if line else None
    earlier = [r for r in line[:-1] if r.percent > 0]  # an undetectable result counts at its limit
    nadir = min(earlier, key=lambda r: (r.percent, r.taken)) if earlier else None
    log_change = None
    if latest is not None and baseline is not None and latest is not baseline and _measured(latest):
        log_change = math.log10(latest.percent / baseline.percent)
    log_rise = None
    trigger = None
    if latest is not None and nadir is not None and _measured(latest) and latest.percent > nadir.percent:
        log_rise = math.log10(latest.percent / nadir.percent)
        if log_rise >= _LOG_RISE and latest.percent >= kd_floor:
            after = [r for r in line if r.taken > nadir.taken and _measured(r)]
            trigger = next(
                (r for r in after if math.log10(r.percent / nadir.percent) >= _LOG_RISE and r.percent >= kd_floor),
                latest,
            )
    again = len(line) >= 2 and latest is not None and _measured(latest) and not line[-2].detected
    return OwnScaleSeries(transcript, ordered, line, baseline, nadir, log_change, log_rise, trigger, again)


def own_scale_series(
    results: tuple[OwnScaleResult, ...], line_start: date | None, kd_floor: float
) -> tuple[OwnScaleSeries, ...]:
    """One series per transcript (sorted by name) of `results`, read against the line started on `line_start`
    (None: no current line); `kd_floor` is the percent from which a ≥1-log rise asks for KD testing."""
    by_transcript: dict[str, list[OwnScaleResult]] = {}
    for result in results:
        by_transcript.setdefault(result.transcript, []).append(result)
    return tuple(_series(name, by_transcript[name], line_start, kd_floor) for name in sorted(by_transcript))
