"""The reconciled series (`state/series.py`) against the rule read literally: every pair of results within the
window tested, one by one. `reconcile` skips the pairs that cannot disagree; these tests show it finds the same
pairs, holds the same results and keeps the same decision series, whatever the order of the record."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from tki_resistance.knowledge.loader import default_knowledge
from tki_resistance.knowledge.schema import CourseRuleRow
from tki_resistance.model import Comparator, TranscriptResult
from tki_resistance.state.series import Discordance, reconcile

START = date(2020, 1, 1)
#: values near the decision thresholds, far from them, zero and tiny: where the shortcuts could go wrong
LEVELS = (0.0, 0.0005, 0.001, 0.0025, 0.003, 0.009, 0.0099, 0.01, 0.025, 0.03, 0.05, 0.099, 0.1, 0.1001, 0.3,
          0.99, 1.0, 1.01, 3.0, 9.9, 10.0, 10.1, 40.0, 100.0)  # fmt: skip


def _literal_pairs(
    recorded: tuple[TranscriptResult, ...], days: int, log_difference: float, thresholds: tuple[float, ...]
) -> list[tuple[str, str, str]]:
    """Every pair within `days`, tested by `_disagreement`: the rule without any shortcut."""
    found = []
    for i, first in enumerate(recorded):
        for second in recorded[i + 1 :]:
            if (second.taken - first.taken).days > days:
                break
            if why := Discordance(days, log_difference, thresholds).why(first, second):
                found.append((first.source, second.source, why))
    return found


def _series(rng: random.Random, count: int, spacing: int) -> list[TranscriptResult]:
    results = []
    day = START
    for n in range(count):
        day += timedelta(days=rng.randrange(0, spacing + 1))  # 0: a second result of the same day
        level = rng.choice(LEVELS) if rng.random() < 0.7 else 10 ** rng.uniform(-4, 2)
        comparator = Comparator.LESS_THAN if level and rng.random() < 0.15 else Comparator.EQUAL
        detected = comparator is Comparator.EQUAL and level > 0
        results.append(TranscriptResult(f"Observation/r{n}", day, level, comparator, detected))
    return results


def _row(days: int, log_difference: float, thresholds: list[float]) -> CourseRuleRow:
    row = default_knowledge().course_rule("discordant-results")
    assert row is not None
    return row.model_copy(update={"days": days, "log_difference": log_difference, "thresholds": thresholds})


@pytest.mark.parametrize(
    ("days", "log_difference", "thresholds"),
    [(14, 1.0, [10.0, 1.0, 0.1]), (1, 1.0, [10.0, 1.0, 0.1]), (30, 0.5, [1.0, 0.01]), (60, 2.0, [0.5])],
)
@pytest.mark.parametrize("spacing", [1, 5, 20, 90])
def test_reconcile_finds_the_pairs_the_literal_rule_finds(
    days: int, log_difference: float, thresholds: list[float], spacing: int
) -> None:
    rng = random.Random(f"{days}-{log_difference}-{spacing}")  # noqa: S311 - seeded test data, not secrets
    row = _row(days, log_difference, thresholds)
    for _ in range(60):
        results = _series(rng, rng.randrange(0, 120), spacing)
        series = reconcile(tuple(results), row)
        expected = _literal_pairs(series.recorded, days, log_difference, tuple(thresholds))
        assert [(p.first.source, p.second.source, p.why) for p in series.discordant] == expected
        held = {source for pair in expected for source in pair[:2]}
        assert {r.source for r in series.held} == held
        assert not held & {r.source for r in series.results}
        days_kept = [r.taken for r in series.results]
        assert days_kept == sorted(set(days_kept))  # date order, one result per day
        first_of_each_day: list[TranscriptResult] = []  # in rank order: the higher of agreeing same-day results
        for result in series.recorded:
            if result.source not in held and (not first_of_each_day or first_of_each_day[-1].taken != result.taken):
                first_of_each_day.append(result)
        assert series.results == tuple(first_of_each_day)
        rng.shuffle(results)
        assert reconcile(tuple(results), row) == series  # the order of the record changes nothing


def test_results_far_apart_are_all_kept_as_recorded() -> None:
    results = tuple(
        TranscriptResult(f"Observation/r{n}", START + timedelta(days=90 * n), level)
        for n, level in enumerate((40.0, 0.05, 12.0, 0.0005))
    )
    series = reconcile(results, default_knowledge().course_rule("discordant-results"))
    assert series.results == series.recorded == results
    assert series.discordant == ()


def test_a_same_day_pair_either_side_of_mmr_is_held_and_named() -> None:
    day = date(2026, 11, 13)
    high = TranscriptResult("Observation/high", day, 0.3)
    low = TranscriptResult("Observation/low", day, 0.03)
    series = reconcile((low, high), default_knowledge().course_rule("discordant-results"))
    assert [(p.first.source, p.second.source) for p in series.discordant] == [("Observation/high", "Observation/low")]
    assert series.results == ()
    assert "0.1% IS" in series.discordant[0].why


@pytest.mark.parametrize(("high", "low"), [(0.025, 0.0025), (0.3, 0.03), (0.05, 0.005), (0.07, 0.007)])
def test_results_exactly_one_log_apart_agree(high: float, low: float) -> None:
    """A difference of "more than 1 log" is not met by exactly one log, whatever the rounding of log10 (0.025 and 0.0025
    come out 1.0000000000000002 logs apart in floating point)."""
    day = date(2026, 11, 1)
    results = (TranscriptResult("Observation/a", day, high), TranscriptResult("Observation/b", day + timedelta(3), low))
    row = _row(14, 1.0, [10.0, 1.0, 0.1] if high < 0.1 or low >= 0.1 else [10.0, 1.0])
    series = reconcile(results, row)
    assert series.discordant == ()
    assert series.results == results
    apart = (TranscriptResult("Observation/c", day + timedelta(5), low * 0.99),)
    assert [p.why for p in reconcile(results[:1] + apart, row).discordant] == ["1.0 logs apart"]
