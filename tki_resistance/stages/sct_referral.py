"""When to evaluate for allogeneic stem cell transplant (`sct-referral`).

Counted as a failed TKI: a stop for resistance, or an ELN failure on the current TKI. A switch for
intolerance alone never counts as a failure; intolerance of every TKI the mutations leave is its own
indication (PDQ).
"""

from __future__ import annotations

from ..evidence import exposure_evidence, transcript_evidence
from ..findings import Evidence, Finding, FindingCode, ResponseCategory, Severity, fit
from ..knowledge.loader import Knowledge
from ..knowledge.schema import SctReferralRow
from ..model import TKIS
from ..state import ClinicalState

__all__ = ["failed_tkis", "sct_referral_findings"]


def failed_tkis(state: ClinicalState) -> tuple[list[str], list[Evidence]]:
    """The TKIs that failed for resistance (distinct drugs), with the evidence for each: stops for resistance,
    and the current TKI when its line's verdict is failure — unless the label's re-escalation comes first."""
    failed: dict[str, Evidence] = {
        e.drug: exposure_evidence(e, "Stopped for resistance") for e in state.tkis.resistance_stops
    }
    current, verdict = state.current_tki, state.verdict
    failing = verdict is not None and verdict.failure and state.label_step is None
    if current is not None and verdict is not None and failing and current.drug not in failed:
        assessment = verdict.milestone
        if assessment is not None and assessment.category is ResponseCategory.FAILURE:
            failed[current.drug] = transcript_evidence(assessment.result, f"ELN failure on {current.drug}")
        else:
            failed[current.drug] = exposure_evidence(current, f"ELN failure at any time on {current.drug}")
    return sorted(failed), list(failed.values())


def sct_referral_findings(state: ClinicalState, knowledge: Knowledge) -> list[Finding]:
    snapshot = state.snapshot
    if snapshot.allogeneic_transplant is not None and knowledge.course_rule("sct-no-referral") is not None:
        return []  # already transplanted: relapse is the relapse card's business (course.sct.no-referral)
    rows = {row.situation: row for row in knowledge.sct_referral}
    met: list[tuple[SctReferralRow, str]] = []
    evidence: list[Evidence] = []
    drugs, failed_evidence = failed_tkis(state)
    if len(drugs) >= 2 and "two-tkis-failed" in rows:
        met.append((rows["two-tkis-failed"], f"{len(drugs)} TKIs failed for resistance: {', '.join(drugs)}"))
        evidence += failed_evidence
    profile = state.mutations
    for variant, test in profile.variants:
        if (
            variant.is_compound
            and ("T315I" in variant.components or not profile.remaining)
            and "compound-resistant" in rows
        ):
            met.append(
                (rows["compound-resistant"], f"compound mutation {variant.name} resistant to the available TKIs")
            )
            evidence.append(Evidence("KD mutation", variant.name, test.taken.isoformat(), test.source))
            break
    phase = state.phase.current
    if phase is not None and "advanced-phase" in rows:
        met.append((rows["advanced-phase"], f"{phase.phase} phase"))
        evidence += phase.evidence
    verdict = state.verdict
    lost = verdict is not None and verdict.category is not ResponseCategory.OPTIMAL
    history = state.phase
    if phase is None and history.ever_advanced and lost and "advanced-history-response-lost" in rows:
        at = history.at_diagnosis_evidence
        met.append((rows["advanced-history-response-lost"], "advanced phase in the history, response not optimal"))
        if at is not None:
            evidence.append(at)
    if profile.has("T315I") and "ponatinib" in drugs and "t315i-ponatinib-resistant" in rows:
        met.append((rows["t315i-ponatinib-resistant"], "T315I with resistance to ponatinib"))
        if len(drugs) < 2:  # otherwise the ≥2-TKI rule above has added the failures already
            evidence += failed_evidence
    intolerant = {e.drug: e for e in state.tkis.intolerance_stops}
    options = [tki for tki in TKIS if tki not in profile.avoid]
    if len(options) >= 2 and set(options) <= set(intolerant) and "intolerant-all-options" in rows:
        met.append((rows["intolerant-all-options"], f"intolerant of every remaining TKI: {', '.join(options)}"))
        evidence += [exposure_evidence(intolerant[tki], "Stopped for intolerance") for tki in options]
    if not met:
        return []
    detail = ["Allogeneic stem cell transplant evaluation is indicated:"]
    detail += [f"- {reason} — {row.guideline}: {row.text}" for row, reason in met]
    detail.append("Intolerance alone is not counted as a failure.")
    reasons = [reason for _, reason in met]
    return [
        Finding(
            code=FindingCode.SCT_REFERRAL,
            severity=Severity.CRITICAL if phase is not None else Severity.WARNING,
            summary=fit(
                "Refer for allo-SCT evaluation: " + "; ".join(reasons),
                f"Refer for allo-SCT evaluation: {reasons[0]}"
                + (f" (+{len(reasons) - 1} more)" if len(reasons) > 1 else ""),
                f"Refer for allo-SCT evaluation ({len(reasons)} indications)",
            ),
            rules=tuple(knowledge.rule(row) for row, _ in met),
            evidence=tuple(evidence),
            detail=tuple(detail),
            override_reasons=(
                "Transplant already evaluated",
                "Not a transplant candidate",
                "Patient in a clinical trial",
            ),
            extra={"situations": [row.situation for row, _ in met], "failedTkis": drugs},
            action="Refer to a transplant centre for allo-SCT evaluation; consider a clinical trial.",
            brief="Allo-SCT evaluation is indicated: " + "; ".join(f"{r} ({row.guideline})" for row, r in met) + ".",
        )
    ]
