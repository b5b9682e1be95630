"""Atypical BCR::ABL1 transcripts: say why the IS rules are not applied, show the patient's own trend.

Standard IS qPCR measures e13a2/e14a2 only. With an atypical transcript (e1a2, e13a3, e14a3, e19a2, others)
and no typical one beside it, the response stage judges no milestone, NCCN colours are not shown, the
extrinsic-causes and mutation-testing stages take no IS trigger, and TFR eligibility is not met (ELN 2020
needs a typical transcript). One info card says so and shows the log change from the baseline and whether
the latest results rise — as information only (docs/methods/transcripts.md).
"""

from __future__ import annotations

import math

from ..findings import Evidence, Finding, FindingCode, Severity, fit
from ..knowledge.loader import Knowledge
from ..model import Comparator, TranscriptResult
from ..state import ClinicalState
from ..state.kinetics import baseline_result, on_drug

__all__ = ["atypical_transcript_findings", "own_trend"]


def _value(result: TranscriptResult) -> str:
    """The reported value without "IS": an atypical transcript is not on the International Scale."""
    prefix = "" if result.comparator is Comparator.EQUAL else result.comparator.value
    return f"{prefix}{result.percent_is:g}%"


def own_trend(results: list[TranscriptResult], baseline: TranscriptResult | None) -> list[str]:
    """Plain lines on the patient's own kinetics: log change from the baseline, and a rising trend."""
    lines: list[str] = []
    measured = [t for t in results if t.comparator is Comparator.EQUAL and t.percent_is > 0]
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


def atypical_transcript_findings(state: ClinicalState, knowledge: Knowledge) -> list[Finding]:
    """One info `not-assessable` card for an atypical transcript; nothing otherwise."""
    snapshot = state.snapshot
    transcript = snapshot.atypical_transcript
    row = knowledge.course_rule("atypical-transcript")
    if transcript is None or row is None:
        return []
    current = snapshot.current_tki
    if current is not None and current.start is not None:
        results = on_drug(snapshot.transcripts, current.start)
        baseline, _ = baseline_result(snapshot.transcripts, current.start)
    else:
        results = sorted(snapshot.transcripts, key=lambda t: t.taken)
        baseline = next((t for t in results if t.comparator is Comparator.EQUAL and t.percent_is > 0), None)
    evidence = [Evidence("Transcript type", transcript, None, source) for source in snapshot.transcript_sources]
    if results:
        latest = results[-1]
        evidence.append(
            Evidence("Latest BCR::ABL1 (as reported, not IS)", _value(latest), latest.taken.isoformat(), latest.source)
        )
    detail = [
        f"Atypical BCR::ABL1 transcript **{transcript}**: standard IS qPCR does not measure it, so the ELN IS "
        "milestones, the NCCN colours and ELN 2020 TFR eligibility (a typical e13a2/e14a2 transcript) are not "
        "applied. Follow the patient's own trend with a transcript-specific assay.",
        *own_trend(results, baseline),
        "Information only: the values are as the laboratory reported them, not on the International Scale; "
        "no response class is derived from them.",
    ]
    return [
        Finding(
            code=FindingCode.NOT_ASSESSABLE,
            severity=Severity.INFO,
            summary=fit(
                f"Follow a transcript-specific assay: atypical BCR::ABL1 transcript {transcript}, IS milestones not "
                "applied",
                f"IS milestones not applied: atypical BCR::ABL1 transcript {transcript}",
            ),
            rules=(knowledge.rule(row),),
            evidence=tuple(evidence),
            detail=tuple(detail),
            extra={"transcript": transcript},
        )
    ]
