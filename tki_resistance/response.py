"""Response to the current TKI by the ELN 2020 molecular milestones.

Rules (docs/methods/response.md):
- Only results taken on or after the start of the current TKI count.
- A result counts toward a milestone from `MILESTONE_WINDOW_DAYS` before it, so that a sample drawn a day
  or two early never escapes its milestone. The latest result is judged against the latest milestone whose
  window has opened; past the 12-month window the "any time" bands apply.
- >10% at 3 months is a warning until a repeat 1–3 months later confirms it (then failure).
- Once MMR (≤0.1%) was reached on the current TKI, the "any time" bands apply as well (loss of MMR is a
  warning, >1% a failure); the worse of the two classifications is kept.
- The card shows the NCCN colour of every stored NCCN version beside the ELN class, and the kinetics
  (log reduction from baseline, halving time, a ≥1-log rise from the nadir, two consecutive results >1%).
- Only with a recorded TFR goal: ≤0.01% (MR4) is optimal from the 12-month milestone on (ELN footnote,
  unverified); a result in MMR but not MR4 gives an info card.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from typing import Any

from .evidence import exposure_evidence, format_percent, transcript_evidence
from .findings import Evidence, Finding, FindingCode, ResponseCategory, RuleRef, Severity, fit
from .kinetics import Kinetics, confirmed_above, kinetics
from .kinetics import on_drug as results_on_drug
from .knowledge_base import Knowledge
from .knowledge_schema import MilestoneRow
from .model import Comparator, PatientSnapshot, TkiExposure, TranscriptResult, months_between
from .nccn import nccn_bands_for
from .shared_derivations import memoised_per_assessment

__all__ = [
    "MILESTONE_WINDOW_DAYS",
    "MilestoneAssessment",
    "assess_history",
    "assess_milestones",
    "classify_value",
    "halving_window_months",
    "line_assessment",
    "log_change_text",
    "log_rise_floor",
    "milestone_in_force",
    "response_findings",
]

MILESTONE_WINDOW_DAYS = 42
MMR_PERCENT = 0.1
_CONFIRMATION_MIN_DAYS = 28
_CONFIRMATION_MAX_DAYS = 92
_MILESTONES = (3, 6, 12)
_RANK = {ResponseCategory.OPTIMAL: 0, ResponseCategory.WARNING: 1, ResponseCategory.FAILURE: 2}


@dataclass(frozen=True, slots=True)
class MilestoneAssessment:
    """How one result classifies on the current TKI, and by which knowledge row."""

    milestone: int  # 3, 6, 12; 0 = any time
    category: ResponseCategory
    row: MilestoneRow
    result: TranscriptResult
    months_on_drug: float
    confirmed_by: TranscriptResult | None = None
    loss_of_mmr: bool = False
    confirm_row: MilestoneRow | None = None  # a later milestone decided; this earlier >10% is confirmed too


@cache
def _milestone_date(start: date, months: int) -> date:
    return start + timedelta(days=round(months * 365.25 / 12))


def milestone_in_force(start: date, taken: date) -> int | None:
    """The milestone a result taken on `taken` is judged by: 3, 6, 12, 0 (any time) or None (too early)."""
    window = timedelta(days=MILESTONE_WINDOW_DAYS)
    if taken > _milestone_date(start, 12) + window:
        return 0
    for months in reversed(_MILESTONES):
        if taken >= _milestone_date(start, months) - window:
            return months
    return None


def _in_band(value: float, row: MilestoneRow) -> bool:
    above_ok = row.above is None or value > row.above
    below_ok = row.at_most is None or value <= row.at_most
    return above_ok and below_ok


def classify_value(value: float, months: int, rows: tuple[MilestoneRow, ...]) -> MilestoneRow:
    """The band `value` (percent IS) falls in at milestone `months`, ignoring confirmation-only rows."""
    for row in rows:
        if row.months == months and not row.requires_confirmation and row.goal == "survival" and _in_band(value, row):
            return row
    raise LookupError(f"no milestone band for {value}% at {months} months")


def _usable(result: TranscriptResult, months: int, rows: tuple[MilestoneRow, ...]) -> bool:
    """A "<x" result can be classified only when x itself falls in the optimal band."""
    if result.comparator is Comparator.EQUAL:
        return True
    return classify_value(result.percent_is, months, rows).response == "optimal"


def _confirmation(
    on_drug: list[TranscriptResult], index: int, start: date, rows: tuple[MilestoneRow, ...]
) -> tuple[MilestoneRow, TranscriptResult] | None:
    """The 3-month failure row and the earlier >10% result that `on_drug[index]` confirms, if any.

    Looks back only 1–3 months, so the cost per result is bounded by the results in that window.
    """
    latest = on_drug[index]
    confirm_rows = [r for r in rows if r.months == 3 and r.requires_confirmation]
    if not confirm_rows or not _in_band(latest.percent_is, confirm_rows[0]):
        return None
    for earlier in reversed(on_drug[:index]):
        gap = (latest.taken - earlier.taken).days
        if gap < _CONFIRMATION_MIN_DAYS:
            continue
        if gap > _CONFIRMATION_MAX_DAYS:
            break
        if milestone_in_force(start, earlier.taken) == 3 and _in_band(earlier.percent_is, confirm_rows[0]):
            return confirm_rows[0], earlier
    return None


def _assess_latest(
    on_drug: list[TranscriptResult],
    index: int,
    milestone: int,
    start: date,
    first_mmr: date | None,
    rows: tuple[MilestoneRow, ...],
) -> MilestoneAssessment:
    """Classify `on_drug[index]` as the latest usable result; `first_mmr` is the first day at ≤0.1%."""
    latest = on_drug[index]
    months = months_between(start, latest.taken)
    row = classify_value(latest.percent_is, milestone, rows)
    assessment = MilestoneAssessment(milestone, ResponseCategory(row.response), row, latest, months)

    # The 3-month confirmation rule decides only while the latest result is in the 3-month window; later
    # the milestone the result falls in decides (its own band is failure above 10% anyway), and the card
    # says that it also confirms the earlier result.
    confirmed = _confirmation(on_drug, index, start, rows) if milestone in (3, 6) else None
    if confirmed is not None:
        confirm_row, earlier = confirmed
        if milestone == 3:
            assessment = MilestoneAssessment(
                3, ResponseCategory.FAILURE, confirm_row, latest, months, confirmed_by=earlier
            )
        else:
            assessment = replace(assessment, confirmed_by=earlier, confirm_row=confirm_row)

    lost_mmr = first_mmr is not None and first_mmr < latest.taken and latest.percent_is > MMR_PERCENT
    if lost_mmr and milestone != 0:
        any_time = classify_value(latest.percent_is, 0, rows)
        category = ResponseCategory(any_time.response)
        if _RANK[category] > _RANK[assessment.category]:
            return MilestoneAssessment(0, category, any_time, latest, months, loss_of_mmr=True)
    if lost_mmr:
        return replace(assessment, loss_of_mmr=True)
    return assessment


@memoised_per_assessment
def assess_history(
    exposure: TkiExposure, transcripts: tuple[TranscriptResult, ...], rows: tuple[MilestoneRow, ...]
) -> list[tuple[TranscriptResult, MilestoneAssessment | None]]:
    """For every result on `exposure`, in date order, the assessment as if it were the latest result.

    One pass over the results (the confirmation look-back is bounded to 3 months), so that stages which
    need the whole history (mutation-testing triggers, "no prior failure" for TFR) stay linear.
    """
    if exposure.start is None:
        return []
    start = exposure.start
    on_drug = results_on_drug(transcripts, start)
    history: list[tuple[TranscriptResult, MilestoneAssessment | None]] = []
    current: MilestoneAssessment | None = None
    first_mmr: date | None = None
    for index, result in enumerate(on_drug):
        milestone = milestone_in_force(start, result.taken)
        if milestone is not None and _usable(result, milestone, rows):
            current = _assess_latest(on_drug, index, milestone, start, first_mmr, rows)
        history.append((result, current))
        if result.percent_is <= MMR_PERCENT and first_mmr is None:
            first_mmr = result.taken
    return history


def assess_milestones(
    exposure: TkiExposure, transcripts: tuple[TranscriptResult, ...], rows: tuple[MilestoneRow, ...]
) -> MilestoneAssessment | None:
    """Classify the latest assessable result on `exposure`; None when nothing can be classified yet."""
    if exposure.start is None:
        return None
    start = exposure.start
    on_drug = results_on_drug(transcripts, start)
    for index in range(len(on_drug) - 1, -1, -1):
        latest = on_drug[index]
        milestone = milestone_in_force(start, latest.taken)
        if milestone is not None and _usable(latest, milestone, rows):
            first_mmr = next((t.taken for t in on_drug if t.percent_is <= MMR_PERCENT), None)
            return _assess_latest(on_drug, index, milestone, start, first_mmr, rows)
    return None


@memoised_per_assessment
def line_assessment(snapshot: PatientSnapshot, knowledge: Knowledge) -> MilestoneAssessment | None:
    """The current line's milestone assessment; None without a current TKI, or with an atypical transcript
    (IS milestones do not apply: course row `atypical-transcript`)."""
    exposure = snapshot.current_tki
    if exposure is None or exposure.start is None or snapshot.atypical_transcript is not None:
        return None
    return assess_milestones(exposure, snapshot.transcripts, knowledge.milestones)


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


def _nccn(
    assessment: MilestoneAssessment, knowledge: Knowledge
) -> tuple[list[str], list[dict[str, Any]], list[RuleRef]]:
    """Detail lines, `extra["nccn"]` entries and rules for the NCCN colour(s) at this milestone."""
    if assessment.milestone not in (3, 6, 12) or assessment.result.comparator is not Comparator.EQUAL:
        return [], [], []
    lines: list[str] = []
    entries: list[dict[str, Any]] = []
    rules: list[RuleRef] = []
    for band in nccn_bands_for(assessment.result.percent_is, assessment.milestone, knowledge.nccn_bands):
        colour = band.colour or "not confirmed"
        entries.append({"version": band.version, "colour": band.colour, "rule": band.id})
        same = bool(entries[:-1]) and entries[-2]["colour"] == band.colour and band.colour is not None
        lines.append(
            f"NCCN {band.version}: **{colour}** at {band.months} months" + ("" if same else f" — {band.action}")
        )
        rules.append(knowledge.rule(band))
    return lines, entries, rules


def log_change_text(kin: Kinetics) -> str | None:
    """`1.2-log reduction` or `0.8-log rise` from the baseline: a rise is never a negative reduction."""
    if kin.log_reduction is None:
        return None
    if kin.log_reduction >= 0:
        return f"{kin.log_reduction:.1f}-log reduction"
    return f"{-kin.log_reduction:.1f}-log rise"


def log_rise_floor(knowledge: Knowledge) -> float:
    """The assay floor above which a ≥1-log rise is raised (course row `log-rise-floor`; 0 without it)."""
    row = knowledge.course_rule("log-rise-floor")
    return row.percent if row is not None and row.percent is not None else 0.0


def halving_window_months(knowledge: Knowledge) -> float:
    """Months on the line up to which the halving-time note is shown (course row `halving-time-window`)."""
    row = knowledge.course_rule("halving-time-window")
    return row.months if row is not None and row.months is not None else 6.0


def _kinetics_lines(
    kin: Kinetics,
    on_drug_results: list[TranscriptResult],
    lost_mmr: bool,
    show_halving: bool,
) -> list[str]:
    lines: list[str] = []
    change = log_change_text(kin)
    if kin.baseline is not None and change is not None:
        where = "first result on this line" if kin.baseline_on_drug else "baseline before this line"
        halving = show_halving and kin.halving_days is not None
        lines.append(
            f"Kinetics: {change} from the {where} "
            f"({format_percent(kin.baseline)}, {kin.baseline.taken.isoformat()})"
            + (
                f"; halving time {kin.halving_days:.0f} days (PDQ: >10% at 3 months still did well with a "
                "halving time <76 days)."
                if halving
                else "."
            )
        )
    if kin.nadir is not None and kin.rise_factor is not None:
        lines.append(
            f"**≥1-log rise**: {kin.rise_factor:.0f}-fold above the nadir {format_percent(kin.nadir)} "
            f"({kin.nadir.taken.isoformat()})."
        )
    if lost_mmr and confirmed_above(on_drug_results, 1.0):  # a "loss" needs MMR reached first
        lines.append(
            "Two consecutive results >1% after MMR (ELN 2013 'confirmed loss of MMR'; ELN 2020: >1% is failure)."
        )
    return lines


def _tfr_goal_finding(exposure: TkiExposure, assessment: MilestoneAssessment, knowledge: Knowledge) -> Finding | None:
    """ELN footnote, only with a recorded TFR goal: MR4 is optimal; MMR without MR4 is not optimal for TFR."""
    rows = [r for r in knowledge.milestones if r.goal == "tfr"]
    result = assessment.result
    if not rows or assessment.milestone not in (12, 0) or _in_band(result.percent_is, rows[0]):
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


def response_findings(snapshot: PatientSnapshot, knowledge: Knowledge) -> list[Finding]:
    """`milestone-warning` / `milestone-failure` for the current TKI; nothing for an optimal response."""
    exposure = snapshot.current_tki
    assessment = line_assessment(snapshot, knowledge)
    if exposure is None or exposure.start is None or assessment is None:
        return []
    if assessment.category is ResponseCategory.OPTIMAL:
        tfr = _tfr_goal_finding(exposure, assessment, knowledge) if snapshot.tfr_goal else None
        return [tfr] if tfr is not None else []

    result = assessment.result
    months = round(assessment.months_on_drug, 1)
    failure = assessment.category is ResponseCategory.FAILURE
    code = FindingCode.MILESTONE_FAILURE if failure else FindingCode.MILESTONE_WARNING
    label = _milestone_label(assessment)
    summary = _summary(exposure.drug, assessment, months, label)
    evidence = [transcript_evidence(result), exposure_evidence(exposure)]
    if assessment.confirmed_by is not None:
        evidence.append(transcript_evidence(assessment.confirmed_by, "Earlier result (3 months)"))
    if result.preliminary:
        evidence.append(Evidence("Result status", "preliminary", result.taken.isoformat(), result.source))

    detail = [
        f"ELN 2020 **{assessment.category.value}**, milestone applied: **{label}** (a result counts from "
        f"{MILESTONE_WINDOW_DAYS // 7} weeks before a milestone).",
    ]
    if failure:
        action = "Change treatment (ELN 2020), once non-adherence and interactions are excluded."
    else:
        action = "Weigh continuing against changing the TKI (ELN 2020 warning) and monitor more often."
    if assessment.milestone == 3 and not failure:
        action += " Repeat qPCR within 1–3 months: >10% confirmed is failure."
    if assessment.loss_of_mmr:
        detail.append("Loss of MMR (>0.1% after ≤0.1% on this TKI): ELN 2020 warning; >1% is failure.")
    if assessment.confirmed_by is not None and assessment.confirm_row is not None:
        detail.append(
            f"This result also confirms the >10% at 3 months ({_format_percent(assessment.confirmed_by)}, "
            f"{assessment.confirmed_by.taken.isoformat()})."
        )
    nccn_lines, nccn_entries, nccn_rules = _nccn(assessment, knowledge)
    detail += nccn_lines
    on_drug_results = results_on_drug(snapshot.transcripts, exposure.start)
    kin = kinetics(snapshot.transcripts, exposure.start, log_rise_floor(knowledge))
    show_halving = assessment.months_on_drug <= halving_window_months(knowledge)
    detail += _kinetics_lines(kin, on_drug_results, assessment.loss_of_mmr, show_halving)
    rules = [knowledge.rule(assessment.row)]
    if assessment.confirm_row is not None:
        rules.append(knowledge.rule(assessment.confirm_row))
    line = snapshot.current_line
    if line is not None and line.after_tfr:
        detail.append(
            f"Restarted after a treatment-free remission attempt: months count from the restart "
            f"({exposure.start.isoformat()}); MMR is expected within 3 months of it."
        )
    if line is not None and len(line.records) > 1:
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
    rules += nccn_rules

    extra: dict[str, Any] = {"nccn": nccn_entries}
    if kin.rise_factor is not None:
        extra["logRise"] = round(kin.rise_factor, 1)
    if assessment.loss_of_mmr:
        extra["lossOfMmr"] = True
    return [
        Finding(
            code=code,
            severity=Severity.WARNING,
            summary=summary,
            rules=tuple(rules),
            evidence=tuple(evidence),
            detail=tuple(detail),
            response={"eln": assessment.category.value, "months": months, "bcrAbl1IS": result.percent_is},
            override_reasons=("Result already discussed", "Patient in a clinical trial"),
            extra=extra,
            action=action,
        )
    ]
