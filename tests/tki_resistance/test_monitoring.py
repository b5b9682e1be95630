"""monitoring-due: every interval row fires when the latest result is older than it, and not when recent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tki_resistance.knowledge.schema import MonitoringRow
from tki_resistance.model import Comparator, PatientSnapshot
from tki_resistance.stages.monitoring import GRACE_DAYS, monitoring_findings

from .scenarios import KNOWLEDGE, START, StopReason, day, on, own, result, rule_ids, state_of, stopped


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
    if name.startswith("own-scale"):  # e1a2 on its own scale; detectable again after undetectable results
        before = own(20, 0.001, comparator=Comparator.LESS_THAN) if name == "own-scale-detectable" else own(20, 0.2)
        latest_own = own(0, 0.004 if name == "own-scale-detectable" else 0.1)
        latest_own = type(latest_own)("Observation/l", as_of - timedelta(days=age_days), "e1a2", latest_own.percent)
        before = type(before)(
            before.source,
            latest_own.taken - timedelta(days=90),
            "e1a2",
            before.percent,
            before.comparator,
            before.detected,
        )
        return PatientSnapshot(
            "p", as_of, own_scale=(before, latest_own), tki_exposures=(on("imatinib"),), transcript_type="e1a2"
        )
    if name == "log-rise-in-mmr":
        nadir = type(result(0, 1))("Observation/n", as_of - timedelta(days=age_days + 120), 0.002)
        rise = type(result(0, 1))("Observation/l", as_of - timedelta(days=age_days), 0.05)  # 25×, still ≤0.1%
        return PatientSnapshot("p", as_of, transcripts=(nadir, rise), tki_exposures=(on("imatinib"),))
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
def test_interval_fires_when_overdue(row: MonitoringRow) -> None:
    findings = monitoring_findings(
        state_of(_situation(row.situation, row.interval_days + GRACE_DAYS + 1), KNOWLEDGE), KNOWLEDGE
    )
    assert row.id in rule_ids(findings)


@pytest.mark.parametrize("row", [r for r in KNOWLEDGE.monitoring_intervals if not r.remind_at_once], ids=lambda r: r.id)
def test_interval_does_not_fire_when_recent(row: MonitoringRow) -> None:
    assert monitoring_findings(state_of(_situation(row.situation, row.interval_days), KNOWLEDGE), KNOWLEDGE) == []


def test_a_log_rise_within_mmr_asks_for_a_repeat_at_once_with_its_due_date() -> None:
    [finding] = monitoring_findings(state_of(_situation("log-rise-in-mmr", 3), KNOWLEDGE), KNOWLEDGE)
    assert rule_ids([finding]) == {"monitoring.log-rise-in-mmr"} and not finding.verified
    latest = max(_situation("log-rise-in-mmr", 3).transcripts, key=lambda t: t.taken)
    assert finding.extra["dueBy"] == (latest.taken + timedelta(days=92)).isoformat()


def test_a_rise_below_one_log_within_mmr_is_the_ordinary_in_mmr_schedule() -> None:
    snapshot = _situation("log-rise-in-mmr", 3)
    nadir, rise = sorted(snapshot.transcripts, key=lambda t: t.taken)
    milder = PatientSnapshot(
        "p",
        snapshot.as_of,
        transcripts=(type(nadir)(nadir.source, nadir.taken, 0.02), rise),
        tki_exposures=snapshot.tki_exposures,
    )
    assert monitoring_findings(state_of(milder, KNOWLEDGE), KNOWLEDGE) == []


# --- an atypical transcript on its own scale (issue #23) -----------------------------------------------------


def test_an_atypical_transcript_is_timed_from_its_own_series_not_from_is_qpcr() -> None:
    """The e1a2 assay two weeks ago: nothing is overdue, though no IS result exists since the TKI started."""
    course = PatientSnapshot(
        "p",
        day(29),
        own_scale=(own(-0.3, 45.0), own(3, 6.0), own(28.5, 0.05)),
        tki_exposures=(on("imatinib"),),
        transcript_type="e1a2",
    )
    assert monitoring_findings(state_of(course, KNOWLEDGE), KNOWLEDGE) == []


def test_an_overdue_own_scale_assay_names_that_assay() -> None:
    [finding] = monitoring_findings(state_of(_situation("own-scale", 200), KNOWLEDGE), KNOWLEDGE)
    assert "e1a2-specific BCR::ABL1 assay" in finding.summary and "IS qPCR" not in finding.summary


def test_detectable_again_asks_for_a_repeat_at_once() -> None:
    [finding] = monitoring_findings(state_of(_situation("own-scale-detectable", 10), KNOWLEDGE), KNOWLEDGE)
    assert rule_ids([finding]) == {"monitoring.own-scale-detectable"} and "Repeat" in finding.summary
    assert finding.extra["dueBy"] == (day(30) - timedelta(days=10) + timedelta(days=31)).isoformat()


def test_an_atypical_transcript_without_a_quantitative_series_gets_no_is_qpcr_card() -> None:
    course = PatientSnapshot("p", day(14), tki_exposures=(on("imatinib"),), transcript_type="e19a2")
    assert monitoring_findings(state_of(course, KNOWLEDGE), KNOWLEDGE) == []
