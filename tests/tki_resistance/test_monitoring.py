"""monitoring-due: every interval row fires when the latest result is older than it, and not when recent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tki_resistance.model import PatientSnapshot
from tki_resistance.monitoring import GRACE_DAYS, monitoring_findings

from .scenarios import KNOWLEDGE, START, StopReason, day, on, result, rule_ids, stopped


def _situation(name: str, age_days: int) -> PatientSnapshot:
    """A patient in `name` whose latest BCR::ABL1 result is `age_days` old."""
    if name.startswith("tfr"):
        months = {"tfr-months-1-6": 3, "tfr-months-7-12": 9, "tfr-after-12": 20}[name]
        stop = stopped("imatinib", day(-72), START, StopReason.TFR)
        as_of = day(months)
        latest = result(0, 0.005)
        latest = type(latest)("Observation/l", as_of - timedelta(days=age_days), 0.005)
        return PatientSnapshot("p", as_of, transcripts=(latest,), tki_exposures=(stop,))
    as_of = day(30)
    value = {"before-mmr": 5.0, "in-mmr": 0.05, "warning": 0.5, "after-sct": 0.05}[name]
    taken = as_of - timedelta(days=age_days)
    latest = type(result(0, 1))("Observation/l", taken, value)
    sct = as_of - timedelta(days=300) if name == "after-sct" else None
    if name == "before-mmr":
        return PatientSnapshot(
            "p",
            day(8),
            transcripts=(type(latest)("Observation/l", day(8) - timedelta(days=age_days), 5.0),),
            tki_exposures=(on("imatinib"),),
        )
    return PatientSnapshot(
        "p", as_of, transcripts=(latest,), tki_exposures=(on("imatinib"),), allogeneic_transplant=sct
    )


@pytest.mark.parametrize("row", KNOWLEDGE.monitoring_intervals, ids=lambda r: r.id)
def test_interval_fires_when_overdue(row) -> None:  # type: ignore[no-untyped-def]
    findings = monitoring_findings(_situation(row.situation, row.interval_days + GRACE_DAYS + 1), KNOWLEDGE)
    assert row.id in rule_ids(findings)


@pytest.mark.parametrize("row", KNOWLEDGE.monitoring_intervals, ids=lambda r: r.id)
def test_interval_does_not_fire_when_recent(row) -> None:  # type: ignore[no-untyped-def]
    assert monitoring_findings(_situation(row.situation, row.interval_days), KNOWLEDGE) == []
