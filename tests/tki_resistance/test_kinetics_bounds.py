"""Kinetics cannot overflow even on values the mapping would never let through (defence in depth, issue #10)."""

from __future__ import annotations

from datetime import date

from tki_resistance.model import TranscriptResult
from tki_resistance.state.kinetics import halving_time_days, kinetics

START = date(2026, 1, 1)


def test_a_ratio_that_overflows_gives_no_log_reduction_and_no_halving_time() -> None:
    huge = TranscriptResult(source="Observation/a", taken=date(2025, 12, 1), percent_is=1e308)
    tiny = TranscriptResult(source="Observation/b", taken=date(2026, 4, 1), percent_is=1e-308)
    result = kinetics((huge, tiny), START)
    assert result.baseline is huge
    assert result.log_reduction is None
    assert halving_time_days(huge, tiny) is None


def test_ordinary_values_still_give_both() -> None:
    first = TranscriptResult(source="Observation/a", taken=date(2025, 12, 1), percent_is=40.0)
    later = TranscriptResult(source="Observation/b", taken=date(2026, 4, 1), percent_is=0.4)
    result = kinetics((first, later), START)
    assert result.log_reduction is not None and round(result.log_reduction, 6) == 2.0
    assert result.halving_days is not None and result.halving_days > 0
