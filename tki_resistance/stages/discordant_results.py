"""BCR::ABL1 results close in time that disagree (`discordant-results`): repeat before acting.

The clinical state holds both results of a discordant pair out of every decision (state/series.py), so no
card rests on whichever the laboratory happened to send last; this card says so, names both results, and
asks for a repeat with the same assay in the same laboratory. A pair that includes the latest result is a
warning (today's decisions wait for the repeat); an older pair is information.
"""

from __future__ import annotations

from ..evidence import transcript_evidence
from ..findings import Finding, FindingCode, Severity, fit
from ..knowledge.loader import Knowledge
from ..state import ClinicalState

__all__ = ["discordant_results_findings"]

_SHOWN = 5


def discordant_results_findings(state: ClinicalState, knowledge: Knowledge) -> list[Finding]:
    series = state.series
    if not series.discordant:
        return []
    latest = series.latest_recorded
    # the latest result comes last in date order, so a pair holding it holds it second
    current = [p for p in series.discordant if p.second is latest]
    pair = current[-1] if current else series.discordant[-1]
    first, second = pair.first, pair.second
    same_day = first.taken == second.taken
    when = first.taken.isoformat() if same_day else f"{first.taken.isoformat()} and {second.taken.isoformat()}"
    values = f"{transcript_evidence(first).value} vs {transcript_evidence(second).value}"
    shown = series.discordant[-_SHOWN:]  # the latest pairs; a long noisy history is counted, not listed
    detail = [
        f"- {p.first.taken.isoformat()} {transcript_evidence(p.first).value} and {p.second.taken.isoformat()} "
        f"{transcript_evidence(p.second).value}: {p.why}."
        for p in shown
    ]
    if len(series.discordant) > len(shown):
        detail.append(f"- and {len(series.discordant) - len(shown)} earlier discordant pairs, held out too.")
    detail.append(
        "Both results of each pair are held out of every decision of this call (milestones, loss of MMR, "
        "mutation testing, relapse): the answer must not depend on which one was sent last."
    )
    if series.row is not None:
        detail.append(series.row.text)
    rules = (knowledge.rule(series.row),) if series.row is not None else ()
    evidence = tuple(
        transcript_evidence(result, "Discordant BCR::ABL1 (IS)") for p in shown for result in (p.first, p.second)
    )
    return [
        Finding(
            code=FindingCode.DISCORDANT_RESULTS,
            severity=Severity.WARNING if current else Severity.INFO,
            summary=fit(
                f"Repeat BCR::ABL1 (same assay, same lab): results of {when} disagree, {values} ({pair.why})",
                f"Repeat BCR::ABL1: results of {when} disagree, {values}",
                "Repeat BCR::ABL1: discordant results",
            ),
            action="Repeat the qPCR with the same assay in the same laboratory before acting on either result.",
            rules=rules,
            evidence=tuple(dict.fromkeys(evidence)),
            detail=tuple(detail),
            override_reasons=("Result already repeated", "Laboratory confirmed the result"),
            extra={
                "pairs": [[p.first.source, p.second.source, p.why] for p in shown],
                "pairsInAll": len(series.discordant),
            },
        )
    ]
