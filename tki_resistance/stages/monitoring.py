"""BCR::ABL1 monitoring overdue (`monitoring-due`), from `snapshot.as_of`.

The interval depends on the situation: after stopping for TFR (by month since the stop), within 2 years of
an allogeneic transplant, with an ELN warning, before MMR, or in MMR. A result counts as overdue once the
latest one is older than the interval plus `GRACE_DAYS` for scheduling.
"""

from __future__ import annotations

from datetime import date, timedelta

from ..evidence import exposure_evidence, format_percent, stop_evidence, transcript_evidence
from ..findings import Evidence, Finding, FindingCode, ResponseCategory, Severity, fit
from ..knowledge.loader import Knowledge
from ..knowledge.schema import MonitoringRow
from ..model import TkiExposure, TranscriptResult, months_between
from ..state import ClinicalState
from ..state.kinetics import log_rise, log_rise_floor, on_drug
from ..state.milestones import MMR_PERCENT

__all__ = ["GRACE_DAYS", "SITUATION_LABELS", "monitoring_findings", "monitoring_situation", "situation_label"]

GRACE_DAYS = 14
#: How a card names each situation of monitoring_intervals.toml.
SITUATION_LABELS = {
    "before-mmr": "before MMR",
    "in-mmr": "in MMR",
    "log-rise-in-mmr": "≥1-log rise within MMR",
    "warning": "ELN warning",
    "tfr-months-1-6": "treatment-free remission, months 1–6",
    "tfr-months-7-12": "treatment-free remission, months 7–12",
    "tfr-after-12": "treatment-free remission, after month 12",
    "after-sct": "within 2 years of an allogeneic transplant",
}


def situation_label(situation: str) -> str:
    return SITUATION_LABELS.get(situation, situation.replace("-", " "))


_SCT_YEARS = 2


def _tfr_stop(state: ClinicalState) -> TkiExposure | None:
    """The last record of the line stopped for TFR while the patient is in TFR (lines.off_treatment)."""
    off = state.off_treatment
    return off.line.last if off is not None and off.kind == "tfr" and off.line is not None else None


def monitoring_situation(state: ClinicalState, knowledge: Knowledge) -> tuple[str, date | None, Evidence] | None:
    """(situation, date monitoring started, evidence) or None when no schedule applies."""
    snapshot = state.snapshot
    stop = _tfr_stop(state)
    if stop is not None and stop.end is not None:
        months = months_between(stop.end, snapshot.as_of)
        situation = "tfr-months-1-6" if months <= 6 else "tfr-months-7-12" if months <= 12 else "tfr-after-12"
        return situation, stop.end, stop_evidence(stop, "Stopped for TFR")
    sct = snapshot.allogeneic_transplant
    if sct is not None and snapshot.as_of - sct <= timedelta(days=round(365.25 * _SCT_YEARS)):
        return "after-sct", sct, Evidence("Allogeneic transplant", "allo-SCT", sct.isoformat())
    current = snapshot.current_tki
    if current is None or current.start is None:
        return None
    assessment = state.milestone
    evidence = exposure_evidence(current)
    if assessment is not None and assessment.category is ResponseCategory.WARNING:
        return "warning", current.start, evidence
    results = on_drug(snapshot.transcripts, current.start)
    if results and results[-1].percent_is <= MMR_PERCENT:
        rise = log_rise(results, log_rise_floor(knowledge))
        return ("log-rise-in-mmr" if rise else "in-mmr"), current.start, evidence
    return "before-mmr", current.start, evidence


def _repeat_reminder(
    row: MonitoringRow,
    situation: str,
    context: Evidence,
    latest: TranscriptResult | None,
    due: date,
    knowledge: Knowledge,
) -> Finding:
    """A situation that itself calls for an early repeat: said now, with the date it is due by."""
    evidence = [context] + ([transcript_evidence(latest, "Latest BCR::ABL1 (IS)")] if latest else [])
    return Finding(
        code=FindingCode.MONITORING_DUE,
        severity=Severity.INFO,
        summary=fit(
            f"Repeat BCR::ABL1 qPCR by {due.isoformat()}: {situation_label(situation)}"
            + (f", latest {format_percent(latest)} ({latest.taken.isoformat()})" if latest else ""),
            f"Repeat BCR::ABL1 qPCR by {due.isoformat()}: {situation_label(situation)}",
        ),
        rules=(knowledge.rule(row),),
        evidence=tuple(evidence),
        detail=(f"Situation: **{situation_label(situation)}**. {row.guideline}: {row.text}.",),
        action=f"Repeat the BCR::ABL1 IS qPCR by {due.isoformat()}.",
        override_reasons=("Test already ordered", "Result pending from an outside laboratory"),
        extra={"situation": situation, "intervalDays": row.interval_days, "dueBy": due.isoformat()},
    )


def monitoring_findings(state: ClinicalState, knowledge: Knowledge) -> list[Finding]:
    """`monitoring-due`: the next qPCR is overdue, timed from the last result as recorded (a discordant
    result held out of decisions still shows when the patient was last tested)."""
    snapshot = state.snapshot
    if state.relapse is not None:
        return []  # the relapse card says what to do next (restart, testing); a schedule card would repeat it
    found = monitoring_situation(state, knowledge)
    if found is None:
        return []
    situation, since, context = found
    row: MonitoringRow | None = next((r for r in knowledge.monitoring_intervals if r.situation == situation), None)
    if row is None:
        return []
    latest = state.series.latest_recorded
    if latest is not None and since is not None and latest.taken < since:
        latest = None  # no result since monitoring started
    reference_day = latest.taken if latest is not None else since
    if reference_day is None:
        return []
    age = (snapshot.as_of - reference_day).days
    due = reference_day + timedelta(days=row.interval_days)
    if row.remind_at_once and age <= row.interval_days + GRACE_DAYS:
        return [_repeat_reminder(row, situation, context, latest, due, knowledge)]
    if age <= row.interval_days + GRACE_DAYS:
        return []
    evidence = [context] + ([transcript_evidence(latest, "Latest BCR::ABL1 (IS)")] if latest else [])
    last = f"latest result {latest.taken.isoformat()} ({age} days ago)" if latest else f"no result in {age} days"
    label = situation_label(situation)
    return [
        Finding(
            code=FindingCode.MONITORING_DUE,
            severity=Severity.INFO,
            summary=fit(
                f"Order BCR::ABL1 IS qPCR, overdue: {last}; every {row.interval_days} days {label}",
                f"Order BCR::ABL1 IS qPCR, overdue: {last}",
            ),
            action="Order a BCR::ABL1 IS qPCR.",
            rules=(knowledge.rule(row),),
            evidence=tuple(evidence),
            detail=(
                f"Situation: **{label}**. {row.guideline}: {row.text}.",
                f"Interval {row.interval_days} days (+{GRACE_DAYS} days' grace); {last}, as of {snapshot.as_of}.",
            ),
            override_reasons=("Test already ordered", "Result pending from an outside laboratory"),
            extra={"situation": situation, "intervalDays": row.interval_days},
        )
    ]
