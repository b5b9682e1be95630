"""Findings on the response to the current TKI by the ELN 2020 molecular milestones.

Rules (docs/methods/response.md). The classification itself — which results count, milestone windows, bands,
the 3-month confirmation, loss of MMR — is milestones.py, whose docstring states its rules; it is
imported from there. This module adds:
- The card shows the NCCN colour of every stored NCCN version beside the ELN class, and the kinetics
  (log reduction from baseline, halving time, a ≥1-log rise from the nadir, two consecutive results >1%).
- Only with a recorded TFR goal: ≤0.01% (MR4) is optimal from the 12-month milestone on (ELN footnote,
  unverified); a result in MMR but not MR4 gives an info card.
"""

from __future__ import annotations

from typing import Any

from ..evidence import exposure_evidence, format_percent, transcript_evidence
from ..findings import Evidence, Finding, FindingCode, ResponseCategory, RuleRef, Severity, fit
from ..knowledge.loader import Knowledge
from ..model import TkiExposure, TranscriptResult
from ..state import ClinicalState
from ..state.kinetics import kinetics, log_rise_floor
from ..state.kinetics import on_drug as results_on_drug
from ..state.milestones import MILESTONE_WINDOW_DAYS, MilestoneAssessment, in_band
from ..state.verdict import LineVerdict
from .response_context import halving_window_months, kinetics_lines, nccn_lines

__all__ = ["response_findings"]


def _format_percent(result: TranscriptResult) -> str:
    return format_percent(result)


def _milestone_label(assessment: MilestoneAssessment) -> str:
    if assessment.confirmed_by is not None and assessment.confirm_row is None:
        return ">10% at 3 months, confirmed"
    if assessment.milestone == 0:
        return "any time, after 12 months" if not assessment.loss_of_mmr else "any time, loss of MMR"
    return f"{assessment.milestone}-month milestone"


def _summary(drug: str, assessment: MilestoneAssessment, months: float, label: str) -> str:
    """The action first, then the value, the time on the drug and the ELN class it rests on."""
    value = f"BCR::ABL1 {format_percent(assessment.result)} at {months:g} months"
    if assessment.category is ResponseCategory.FAILURE:
        return fit(
            f"Change TKI: ELN 2020 failure on {drug}, {value} ({label})",
            f"Change TKI: ELN 2020 failure on {drug}, {value}",
        )
    if assessment.loss_of_mmr:
        return fit(f"Review {drug}: loss of MMR, {value} (ELN 2020 warning)", f"Review {drug}: loss of MMR")
    if assessment.milestone == 3:
        at = f"{format_percent(assessment.result)} at {months:g} months"
        return fit(f"Repeat BCR::ABL1 in 1–3 months: {at} on {drug} (ELN 2020 warning)", f"Repeat BCR::ABL1: {at}")
    return fit(
        f"Consider changing {drug}, monitor more often: {value} (ELN 2020 warning)",
        f"Consider changing {drug}: {value}",
    )


def _tfr_goal_finding(exposure: TkiExposure, assessment: MilestoneAssessment, knowledge: Knowledge) -> Finding | None:
    """ELN footnote, only with a recorded TFR goal: MR4 is optimal; MMR without MR4 is not optimal for TFR."""
    rows = [r for r in knowledge.milestones if r.goal == "tfr"]
    result = assessment.result
    if not rows or assessment.milestone not in (12, 0) or in_band(result.percent_is, rows[0]):
        return None
    months = round(assessment.months_on_drug, 1)
    return Finding(
        code=FindingCode.MILESTONE_WARNING,
        severity=Severity.INFO,
        summary=fit(
            f"Discuss the TFR goal: BCR::ABL1 {format_percent(result)} on {exposure.drug} is not MR4 (≤0.01%)",
            f"Discuss the TFR goal: BCR::ABL1 {format_percent(result)} is not MR4",
        ),
        rules=(knowledge.rule(rows[0]),),
        evidence=(transcript_evidence(result),),
        detail=(
            "A treatment-free remission goal is recorded. ELN 2020 footnote: when aiming at TFR, the optimal "
            "response at any time is ≤0.01% (MR4). This result is optimal for survival but not for that goal.",
        ),
        action="Shared decision-making about the goal: TFR needs sustained MR4 or deeper.",
        response={"eln": "warning", "months": months, "bcrAbl1IS": result.percent_is},
        override_reasons=("Goal discussed with the patient",),
        extra={"tfrGoal": True},
    )


def _any_time_summary(verdict: LineVerdict) -> str:
    reasons = "; ".join(c.reason for c in verdict.any_time)
    if verdict.failure:
        return fit(
            f"Change TKI: ELN 2020 failure on {verdict.drug} at any time, {reasons}",
            f"Change TKI: ELN 2020 failure on {verdict.drug} at any time",
        )
    return fit(
        f"Monitor {verdict.drug} more closely: {reasons} (ELN 2020 warning)",
        f"Monitor {verdict.drug} more closely (ELN 2020 warning)",
    )


def _summary_and_action(state: ClinicalState, verdict: LineVerdict, label: str) -> tuple[str, str]:
    """One verdict, one action: no TKI in pregnancy first; then the label's re-escalation; in AP/BP the phase
    card leads; else ELN's."""
    milestone, drug = verdict.milestone, verdict.drug
    if state.no_tki_now is not None:
        return (
            fit(
                f"{drug}: ELN 2020 {verdict.category.value} while {state.no_tki_now}; the pregnancy card leads",
                f"{drug}: ELN 2020 {verdict.category.value}; the pregnancy card leads",
            ),
            f"No TKI is given while {state.no_tki_now} (labels): discuss the response with the CML team and "
            "obstetrics (the pregnancy card).",
        )
    step = state.label_step
    if step is not None:
        reduced = step.reduction
        return (
            fit(
                f"Re-escalate {drug} to 30–45 mg and test for KD mutations: BCR::ABL1 {format_percent(step.lost)} "
                + (f"after the label reduction {reduced}" if step.before is not None else f"at {reduced}")
                + f" (ELN 2020 {verdict.category.value})",
                f"Re-escalate {drug} to 30–45 mg: BCR::ABL1 {format_percent(step.lost)} after reduction to 15 mg",
            ),
            "Label: after the response is lost at 15 mg, go back to the previously tolerated dose (30 or 45 mg "
            "daily), with kinase-domain mutation testing. Changing the TKI and transplant referral come only if "
            "the re-escalated course fails.",
        )
    if milestone is not None and milestone.category is verdict.category:
        summary = _summary(drug, milestone, round(milestone.months_on_drug, 1), label)
    else:
        summary = _any_time_summary(verdict)
    if state.phase.advanced:
        if not verdict.failure and milestone is not None:
            months = round(milestone.months_on_drug, 1)
            summary = fit(
                f"{drug} in {state.phase.name} phase: BCR::ABL1 {format_percent(milestone.result)} at {months:g} "
                "months (ELN 2020 warning); the phase card leads",
                f"{drug} in {state.phase.name} phase: ELN 2020 warning; the phase card leads",
            )
        return summary, (
            f"Managed as {state.phase.name}-phase CML (the advanced-phase card): change the TKI by mutation "
            "status and evaluate for allo-SCT; chronic-phase milestones do not decide here."
        )
    if verdict.failure:
        return summary, "Change treatment (ELN 2020), once non-adherence and interactions are excluded."
    if drug in state.mutations.avoid:
        return summary, f"A detected mutation excludes {drug}: change to a TKI the mutations leave (TKIs to avoid)."
    if not verdict.by_milestone and all(c.row.when == "at-diagnosis" for c in verdict.any_time):
        return summary, "Monitor more closely (ELN 2020 warning: high-risk ACA at diagnosis); not a failure."
    action = "Weigh continuing against changing the TKI (ELN 2020 warning) and monitor more often."
    if milestone is not None and milestone.milestone == 3 and milestone.category is ResponseCategory.WARNING:
        action += " Repeat qPCR within 1–3 months: >10% confirmed is failure."
    return summary, action


def _line_lines(state: ClinicalState, exposure: TkiExposure, knowledge: Knowledge) -> tuple[list[str], list[RuleRef]]:
    """How the months are counted on this line: a restart after TFR, records and interruptions within it."""
    line = state.current_line
    detail: list[str] = []
    rules: list[RuleRef] = []
    if line is None or exposure.start is None:
        return detail, rules
    if line.after_tfr:
        detail.append(
            f"Restarted after a treatment-free remission attempt: months count from the restart "
            f"({exposure.start.isoformat()}); MMR is expected within 3 months of it."
        )
    if len(line.records) > 1:
        gaps = line.interruptions()
        row = knowledge.course_rule("line-interruption" if gaps else "line-same-tki")
        within = f" within the {row.days}-day limit" if gaps and row is not None and row.days else ""
        detail.append(
            f"Months counted from the start of this {exposure.drug} line ({exposure.start.isoformat()}; "
            f"{len(line.records)} records of the same TKI form one line"
            + (f", including {len(gaps)} interruption{'s' if len(gaps) > 1 else ''}{within}" if gaps else "")
            + ")."
        )
        if row is not None:
            rules.append(knowledge.rule(row))
    return detail, rules


def _milestone_part(
    state: ClinicalState, assessment: MilestoneAssessment, exposure: TkiExposure, knowledge: Knowledge
) -> tuple[list[str], list[RuleRef], list[Evidence], dict[str, Any]]:
    """The milestone's detail lines, rules, data points and extension keys."""
    snapshot = state.snapshot
    label = _milestone_label(assessment)
    evidence = [transcript_evidence(assessment.result)]
    if assessment.confirmed_by is not None:
        evidence.append(transcript_evidence(assessment.confirmed_by, "Earlier result (3 months)"))
    if assessment.result.preliminary:
        result = assessment.result
        evidence.append(Evidence("Result status", "preliminary", result.taken.isoformat(), result.source))
    detail = [
        f"ELN 2020 **{assessment.category.value}** by BCR::ABL1, milestone applied: **{label}** (a result counts "
        f"from {MILESTONE_WINDOW_DAYS // 7} weeks before a milestone).",
    ]
    if assessment.loss_of_mmr:
        detail.append("Loss of MMR (>0.1% after ≤0.1% on this TKI): ELN 2020 warning; >1% is failure.")
    if assessment.confirmed_by is not None and assessment.confirm_row is not None:
        detail.append(
            f"This result also confirms the >10% at 3 months ({_format_percent(assessment.confirmed_by)}, "
            f"{assessment.confirmed_by.taken.isoformat()})."
        )
    verdict = state.verdict
    agrees = verdict is None or (assessment.category is verdict.category and not verdict.failure)
    nccn_detail, nccn_entries, nccn_rules = nccn_lines(assessment, knowledge, with_action=agrees)
    detail += nccn_detail
    start = exposure.start
    extra: dict[str, Any] = {"nccn": nccn_entries}
    if start is not None:
        on_drug_results = results_on_drug(snapshot.transcripts, start)
        kin = kinetics(snapshot.transcripts, start, log_rise_floor(knowledge))
        show_halving = assessment.months_on_drug <= halving_window_months(knowledge)
        detail += kinetics_lines(kin, on_drug_results, assessment.loss_of_mmr, show_halving)
        if kin.rise_factor is not None:
            extra["logRise"] = round(kin.rise_factor, 1)
    rules = [knowledge.rule(assessment.row)]
    if assessment.confirm_row is not None:
        rules.append(knowledge.rule(assessment.confirm_row))
    rules += nccn_rules
    if assessment.loss_of_mmr:
        extra["lossOfMmr"] = True
    return detail, rules, evidence, extra


def response_findings(state: ClinicalState, knowledge: Knowledge) -> list[Finding]:
    """The one `milestone-warning` / `milestone-failure` card of the current line, carrying its ELN verdict
    (milestones and any-time criteria together); nothing for an optimal response."""
    exposure = state.current_tki
    verdict = state.verdict
    if exposure is None or exposure.start is None or verdict is None:
        return []
    assessment = verdict.milestone
    if verdict.category is ResponseCategory.OPTIMAL:
        goal = state.snapshot.tfr_goal and assessment is not None
        tfr = _tfr_goal_finding(exposure, assessment, knowledge) if goal and assessment is not None else None
        return [tfr] if tfr is not None else []

    failure = verdict.failure
    label = _milestone_label(assessment) if assessment is not None else "any time"
    summary, action = _summary_and_action(state, verdict, label)
    evidence: list[Evidence] = [exposure_evidence(exposure)]
    detail: list[str] = []
    rules: list[RuleRef] = []
    extra: dict[str, Any] = {}
    if assessment is not None:
        m_detail, m_rules, m_evidence, extra = _milestone_part(state, assessment, exposure, knowledge)
        evidence = m_evidence + evidence
        detail += m_detail
        rules += m_rules
    if verdict.any_time:
        detail += [f"ELN 2020 **{c.category.value}** at any time: {c.reason}. {c.row.text}" for c in verdict.any_time]
        any_time_rules = [knowledge.rule(c.row) for c in verdict.any_time]
        # the deciding rule first: the milestone's when it alone gives the verdict, else the any-time criterion's
        rules = rules + any_time_rules if verdict.by_milestone else any_time_rules + rules
        evidence += [e for c in verdict.any_time for e in c.evidence]
        extra["anyTime"] = [c.row.criterion for c in verdict.any_time]
    step = state.label_step
    if step is not None:
        rules.append(knowledge.rule(step.row))
        evidence.append(
            Evidence(
                "Label dose reduction",
                step.reduction,
                step.after.start.isoformat() if step.after.start else None,
                step.after.source,
            )
        )
        detail.append(f"Label / source: {step.row.text}.")
        extra["labelStep"] = {"drug": step.drug, "reEscalate": True}
    line_detail, line_rules = _line_lines(state, exposure, knowledge)
    detail += line_detail
    rules = rules[:1] + line_rules + rules[1:] if rules else line_rules
    response: dict[str, Any] = {"eln": verdict.category.value, "months": verdict.months}
    if assessment is not None:
        response["bcrAbl1IS"] = assessment.result.percent_is
    return [
        Finding(
            code=FindingCode.MILESTONE_FAILURE if failure else FindingCode.MILESTONE_WARNING,
            severity=Severity.WARNING,
            summary=summary,
            rules=tuple(dict.fromkeys(rules)),
            evidence=tuple(dict.fromkeys(evidence)),
            detail=tuple(detail),
            response=response,
            override_reasons=("Result already discussed", "Patient in a clinical trial"),
            extra=extra,
            action=action,
        )
    ]
