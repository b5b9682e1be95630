"""BCR::ABL1 monitoring overdue (`monitoring-due`), from `snapshot.as_of`.

The interval depends on the situation: after stopping for TFR (by month since the stop), within 2 years of
an allogeneic transplant, with an ELN warning, before MMR, or in MMR; for an atypical transcript on a TKI,
the transcript-specific assay's own interval (detectable again after undetectable: a repeat at once). A
result counts as overdue once the latest one is older than the interval plus `GRACE_DAYS` for scheduling.
The latest result is that of the patient's own series, whatever its scale: an atypical transcript's
transcript-specific results when it has them (never the IS qPCR it cannot be measured by); with neither, the
atypical-transcript card speaks (a transcript-specific assay or marrow cytogenetics) and no card here asks
for an IS qPCR.
"""

from __future__ import annotations

from datetime import date, timedelta

import msgspec

from ..evidence import (
    exposure_evidence,
    format_own_scale,
    format_percent,
    own_scale_evidence,
    stop_evidence,
    transcript_evidence,
)
from ..findings import Evidence, Finding, FindingCode, ResponseCategory, Severity, fit
from ..knowledge.loader import Knowledge
from ..knowledge.schema import MonitoringRow
from ..model import TkiExposure, months_between
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
    "own-scale": "atypical transcript, own scale",
    "own-scale-detectable": "detectable again after undetectable results",
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
    evidence = exposure_evidence(current)
    if snapshot.atypical_transcript is not None:
        if not state.own_scale:
            return None  # no quantitative series: the atypical-transcript card says how to monitor
        if any(series.detectable_again for series in state.own_scale):
            return "own-scale-detectable", current.start, evidence
        return "own-scale", current.start, evidence
    assessment = state.milestone
    if assessment is not None and assessment.category is ResponseCategory.WARNING:
        return "warning", current.start, evidence
    results = on_drug(snapshot.transcripts, current.start)
    if results and results[-1].percent_is <= MMR_PERCENT:
        rise = log_rise(results, log_rise_floor(knowledge))
        return ("log-rise-in-mmr" if rise else "in-mmr"), current.start, evidence
    return "before-mmr", current.start, evidence


class _Latest(msgspec.Struct, frozen=True, gc=False):
    """The latest result of the patient's own series: its date, how it reads, and its evidence."""

    taken: date
    shown: str
    evidence: Evidence
    assay: str  # what to order or repeat: "BCR::ABL1 IS qPCR", or the transcript-specific assay


_IS_ASSAY = "BCR::ABL1 IS qPCR"


def _latest(state: ClinicalState) -> _Latest | None:
    """The latest result as recorded (a discordant result held out of decisions still shows when the patient was
    last tested), on the patient's own scale: an atypical transcript's own series where it has one."""
    transcript = state.snapshot.atypical_transcript
    if transcript is not None:
        own = [series.latest for series in state.own_scale if series.latest is not None]
        if own:
            latest = max(own, key=lambda r: (r.taken, r.source))
            assay = f"{latest.transcript}-specific BCR::ABL1 assay"
            label = f"Latest BCR::ABL1 {latest.transcript} (own scale)"
            return _Latest(latest.taken, format_own_scale(latest), own_scale_evidence(latest, label), assay)
    recorded = state.series.latest_recorded
    if recorded is None:
        return None
    evidence = transcript_evidence(recorded, "Latest BCR::ABL1 (IS)")
    return _Latest(recorded.taken, format_percent(recorded), evidence, _IS_ASSAY)


def _repeat_reminder(
    row: MonitoringRow,
    situation: str,
    context: Evidence,
    latest: _Latest | None,
    assay: str,
    due: date,
    knowledge: Knowledge,
) -> Finding:
    """A situation that itself calls for an early repeat: said now, with the date it is due by."""
    evidence = [context] + ([latest.evidence] if latest else [])
    short = "BCR::ABL1 qPCR" if assay == _IS_ASSAY else assay
    return Finding(
        code=FindingCode.MONITORING_DUE,
        severity=Severity.INFO,
        summary=fit(
            f"Repeat {short} by {due.isoformat()}: {situation_label(situation)}"
            + (f", latest {latest.shown} ({latest.taken.isoformat()})" if latest else ""),
            f"Repeat {short} by {due.isoformat()}: {situation_label(situation)}",
        ),
        rules=(knowledge.rule(row),),
        evidence=tuple(evidence),
        detail=(f"Situation: **{situation_label(situation)}**. {row.guideline}: {row.text}.",),
        action=f"Repeat the {assay} by {due.isoformat()}.",
        override_reasons=("Test already ordered", "Result pending from an outside laboratory"),
        extra={"situation": situation, "intervalDays": row.interval_days, "dueBy": due.isoformat()},
    )


def monitoring_findings(state: ClinicalState, knowledge: Knowledge) -> list[Finding]:
    """`monitoring-due`: the next test is overdue, timed from the last result of the patient's own series."""
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
    last_result = _latest(state)
    assay = last_result.assay if last_result is not None else _IS_ASSAY
    if last_result is not None and since is not None and last_result.taken < since:
        last_result = None  # no result since monitoring started
    reference_day = last_result.taken if last_result is not None else since
    if reference_day is None:
        return []
    age = (snapshot.as_of - reference_day).days
    due = reference_day + timedelta(days=row.interval_days)
    if row.remind_at_once and age <= row.interval_days + GRACE_DAYS:
        return [_repeat_reminder(row, situation, context, last_result, assay, due, knowledge)]
    if age <= row.interval_days + GRACE_DAYS:
        return []
    evidence = [context] + ([last_result.evidence] if last_result else [])
    last = f"latest result {reference_day.isoformat()} ({age} days ago)" if last_result else f"no result in {age} days"
    label = situation_label(situation)
    return [
        Finding(
            code=FindingCode.MONITORING_DUE,
            severity=Severity.INFO,
            summary=fit(
                f"Order {assay}, overdue: {last}; every {row.interval_days} days {label}",
                f"Order {assay}, overdue: {last}",
            ),
            action=f"Order {'an' if assay[0] in 'aeiou' else 'a'} {assay}.",
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
