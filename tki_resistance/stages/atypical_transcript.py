"""Atypical BCR::ABL1 transcripts: say why the IS rules are not applied, show the patient's own series.

Standard IS qPCR measures e13a2/e14a2 only. With an atypical transcript (e1a2, e13a3, e14a3, e19a2, others)
and no typical one beside it, the response stage judges no milestone, NCCN colours are not shown, the
extrinsic-causes stage takes no IS trigger, and TFR eligibility is not met (ELN 2020 needs a typical
transcript). One info card says so and:
- with transcript-specific results (the state's own series): the baseline, nadir and latest on that scale,
  the log change from the baseline and from the nadir, and what a rise calls for (mutation testing and the
  repeat are their own cards: mutation_testing.py, monitoring.py);
- without: that no transcript-specific quantitative result is on record and ELN 2020 allows cytogenetic
  (marrow) monitoring; results sent as IS are shown as reported, as information only
  (docs/methods/transcripts.md).
"""

from __future__ import annotations

import math

from ..evidence import format_own_scale, own_scale_evidence
from ..findings import Evidence, Finding, FindingCode, Severity, fit
from ..knowledge.loader import Knowledge
from ..model import DETECTION_LIMIT, Comparator, OwnScaleResult, TranscriptResult
from ..state import ClinicalState
from ..state.kinetics import baseline_result, on_drug
from ..state.own_scale import OwnScaleSeries

__all__ = ["atypical_transcript_findings", "own_scale_lines", "own_trend"]


def _value(result: TranscriptResult) -> str:
    """The reported value without "IS": an atypical transcript is not on the International Scale."""
    prefix = "" if result.comparator is Comparator.EQUAL else result.comparator.value
    return f"{prefix}{result.percent_is:g}%"


def own_trend(results: list[TranscriptResult], baseline: TranscriptResult | None) -> list[str]:
    """Plain lines on the patient's own kinetics: log change from the baseline, and a rising trend."""
    lines: list[str] = []
    measured = [t for t in results if t.comparator not in DETECTION_LIMIT and t.percent_is > 0]
    if not measured:
        return ["No measurable result to follow yet."]
    latest = measured[-1]
    if baseline is not None and baseline is not latest and baseline.percent_is > 0:
        change = math.log10(baseline.percent_is / latest.percent_is)
        word = "reduction" if change >= 0 else "rise"
        lines.append(
            f"Own kinetics: {abs(change):.1f}-log {word} from the baseline {_value(baseline)} "
            f"({baseline.taken.isoformat()}) to {_value(latest)} ({latest.taken.isoformat()})."
        )
    if len(measured) >= 2 and measured[-1].percent_is > measured[-2].percent_is:
        before = measured[-2]
        lines.append(
            f"**Rising**: {_value(before)} ({before.taken.isoformat()}) → {_value(latest)} "
            f"({latest.taken.isoformat()}); repeat with the transcript-specific assay."
        )
    elif len(measured) >= 2:
        lines.append("Not rising: the latest result is not above the one before.")
    return lines


def _short(result: OwnScaleResult) -> str:
    prefix = "" if result.comparator is Comparator.EQUAL else result.comparator.value
    return f"{prefix}{result.percent:g}%" if result.percent > 0 or prefix else "not detected"


def _log(change: float) -> str:
    return f"{abs(change):.1f}-log {'reduction' if change < 0 else 'rise'}"


def own_scale_lines(series: OwnScaleSeries, kd_floor: float) -> list[str]:
    """The patient's own series in plain lines: baseline, nadir, latest, the log changes, and what they call for."""
    latest = series.latest
    if latest is None:  # a series always has a result; defensive
        return []
    count = len(series.results)
    lines = [
        f"**Own scale** ({series.transcript}, transcript-specific assay, not IS): {count} "
        f"result{'s' if count > 1 else ''}, latest {format_own_scale(latest)} ({latest.taken.isoformat()})."
    ]
    if series.baseline is not None and series.log_change is not None:
        base = series.baseline
        lines.append(
            f"Trend: {_log(series.log_change)} from the line's baseline {format_own_scale(base)} "
            f"({base.taken.isoformat()})."
        )
    if series.nadir is not None and series.log_rise is not None:
        nadir = series.nadir
        lines.append(
            f"Nadir on this line: {format_own_scale(nadir)} ({nadir.taken.isoformat()}); "
            f"{series.log_rise:.1f}-log rise since."
        )
    elif series.nadir is not None:
        lines.append("Not rising: the latest result is the lowest on this line.")
    if series.rise_trigger is not None:
        lines.append(
            f"**≥1-log rise from the nadir** to {format_own_scale(latest)}, at or above the {kd_floor:g}% where "
            "kinase-domain testing is feasible: mutation testing is asked for (its own card)."
        )
    elif series.log_rise is not None and series.log_rise >= 1:
        lines.append(
            f"**≥1-log rise from the nadir**, still below the {kd_floor:g}% where kinase-domain testing is feasible: "
            "repeat the transcript-specific assay."
        )
    if series.detectable_again:
        lines.append("**Detectable again** after an undetectable result: repeat the assay and monitor more closely.")
    return lines


def atypical_transcript_findings(state: ClinicalState, knowledge: Knowledge) -> list[Finding]:
    """One info `not-assessable` card for an atypical transcript; nothing otherwise."""
    snapshot = state.snapshot
    transcript = snapshot.atypical_transcript
    row = knowledge.course_rule("atypical-transcript")
    if transcript is None or row is None:
        return []
    evidence = [Evidence("Transcript type", transcript, None, source) for source in snapshot.transcript_sources]
    why = (
        f"Atypical BCR::ABL1 transcript **{transcript}**: standard IS qPCR does not measure it, so the ELN IS "
        "milestones, the NCCN colours and ELN 2020 TFR eligibility (a typical e13a2/e14a2 transcript) are not "
        "applied."
    )
    rows = [row]
    if state.own_scale:
        own_row = knowledge.course_rule("own-scale")
        floor_row = knowledge.course_rule("own-scale-kd-floor")
        kd_floor = floor_row.percent if floor_row is not None and floor_row.percent is not None else 0.1
        rows += [r for r in (own_row,) if r is not None]
        detail = [why + " The patient is followed on the transcript's own scale, never mixed with IS values."]
        for series in state.own_scale:
            detail += own_scale_lines(series, kd_floor)
            latest = series.latest
            if latest is not None:
                evidence.append(own_scale_evidence(latest, f"Latest BCR::ABL1 {series.transcript} (own scale)"))
            if series.baseline is not None and series.baseline is not latest:
                evidence.append(own_scale_evidence(series.baseline, "Baseline (own scale)"))
            if series.nadir is not None and series.log_rise is not None:
                evidence.append(own_scale_evidence(series.nadir, "Nadir on this line (own scale)"))
        first = state.own_scale[0]
        latest = first.latest
        trend = f", {_log(first.log_change)} from baseline" if first.log_change is not None else ""
        value = f"latest {_short(latest)} ({latest.taken.isoformat()}){trend}" if latest else ""
        summary = fit(
            f"Follow {first.transcript} on its own scale: {value}; IS milestones not applied",
            f"Follow {first.transcript} on its own scale: {value}",
            f"Follow {transcript} on its own scale: IS milestones not applied",
        )
        action = "Keep monitoring with the same transcript-specific assay in the same laboratory."
    else:
        none_row = knowledge.course_rule("own-scale-no-quantitative")
        rows += [r for r in (none_row,) if r is not None]
        current = snapshot.current_tki
        if current is not None and current.start is not None:
            results = on_drug(snapshot.transcripts, current.start)
            baseline, _ = baseline_result(snapshot.transcripts, current.start)
        else:
            results = list(snapshot.transcripts)
            baseline = next((t for t in results if t.comparator not in DETECTION_LIMIT and t.percent_is > 0), None)
        if results:
            latest_is = results[-1]
            evidence.append(
                Evidence(
                    "Latest BCR::ABL1 (as reported, not IS)",
                    _value(latest_is),
                    latest_is.taken.isoformat(),
                    latest_is.source,
                )
            )
        detail = [
            why,
            f"No transcript-specific quantitative result for {transcript} is on record: ELN 2020 allows the response "
            "to be monitored by marrow cytogenetics where no such assay is available.",
            *(own_trend(results, baseline) if results else []),
        ]
        if results:
            detail.append(
                "Information only: the values are as the laboratory reported them, not on the International Scale; "
                "no response class is derived from them."
            )
        summary = fit(
            f"Monitor {transcript} with a transcript-specific assay or marrow cytogenetics: no quantitative result, "
            "IS milestones not applied",
            f"Monitor {transcript} with a transcript-specific assay or marrow cytogenetics",
        )
        action = (
            f"Order a quantitative {transcript}-specific BCR::ABL1 assay; where none is available, monitor by marrow "
            "cytogenetics (ELN 2020)."
        )
    return [
        Finding(
            code=FindingCode.NOT_ASSESSABLE,
            severity=Severity.INFO,
            summary=summary,
            rules=tuple(knowledge.rule(r) for r in rows),
            evidence=tuple(evidence),
            detail=tuple(detail),
            action=action,
            extra={"transcript": transcript, "ownScale": bool(state.own_scale)},
        )
    ]
