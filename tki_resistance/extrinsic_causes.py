"""Extrinsic causes to rule out before calling resistance (`extrinsic-causes`).

When: with a warning, a failure, a loss of MMR or a ≥1-log rise on the current TKI, every check
(interactions, dose below the standard for the drug, line and phase, gaps in the medication record, and
the adherence question the record cannot answer). Without a response problem, only an interaction whose
label action is "avoid" gives a card: it needs action whatever the response.
"""

from __future__ import annotations

from .advanced_phase import is_advanced
from .evidence import exposure_evidence, format_dose
from .findings import Evidence, Finding, FindingCode, ResponseCategory, Severity
from .interactions import interaction_rows
from .kinetics import kinetics
from .knowledge_base import Knowledge
from .knowledge_schema import DoseRow, InteractionRow, KnowledgeRow
from .model import PatientSnapshot, TkiExposure
from .response import line_assessment, log_rise_floor
from .therapy_history import current_line, line_dose_changes, same_drug_gaps

__all__ = ["extrinsic_causes_findings", "response_problem", "standard_dose"]


def response_problem(snapshot: PatientSnapshot, knowledge: Knowledge) -> str | None:
    """Why resistance may be suspected on the current TKI, or None when the response is optimal."""
    exposure = snapshot.current_tki
    if exposure is None or exposure.start is None:
        return None
    if snapshot.atypical_transcript is not None:
        return None  # IS bands do not apply; the transcript card shows the patient's own trend
    assessment = line_assessment(snapshot, knowledge)
    if assessment is not None and assessment.category is not ResponseCategory.OPTIMAL:
        return f"ELN 2020 {assessment.category.value}" + (" (loss of MMR)" if assessment.loss_of_mmr else "")
    if kinetics(snapshot.transcripts, exposure.start, log_rise_floor(knowledge)).rise_factor is not None:
        return "≥1-log rise in BCR::ABL1"
    return None


def standard_dose(snapshot: PatientSnapshot, exposure: TkiExposure, knowledge: Knowledge) -> DoseRow | None:
    """The standard-dose row for the drug, its line (first / later) and the phase."""
    line = "first" if current_line(snapshot) == 1 else "later"
    phase = "advanced" if is_advanced(snapshot, knowledge) else "chronic"
    for row in knowledge.doses:
        same_drug = row.tki == exposure.drug and row.situation == "standard"
        if same_drug and row.line in (line, "any") and row.phase in (phase, "any"):
            return row
    return None


def _interactions(
    snapshot: PatientSnapshot, drug: str, knowledge: Knowledge
) -> list[tuple[str, InteractionRow, list[KnowledgeRow]]]:
    found = []
    for medication in snapshot.comedications:
        for row, drug_class in interaction_rows(medication, drug, knowledge.interactions, knowledge.drug_classes):
            found.append((medication.name, row, [row, drug_class]))
    return found


def extrinsic_causes_findings(snapshot: PatientSnapshot, knowledge: Knowledge) -> list[Finding]:
    exposure = snapshot.current_tki
    if exposure is None:
        return []
    problem = response_problem(snapshot, knowledge)
    interactions = _interactions(snapshot, exposure.drug, knowledge)
    if problem is None and not any(row.action == "avoid" for _, row, _ in interactions):
        return []
    checks = {row.check: row for row in knowledge.extrinsic_checks}
    rules: list[KnowledgeRow] = []
    detail: list[str] = []
    evidence: list[Evidence] = [exposure_evidence(exposure)]
    found_something = False
    if problem is not None:
        detail.append(f"Before calling resistance ({problem}), rule out extrinsic causes (Soverini 2026):")
    for name, row, rows in interactions:
        found_something = True
        rules += rows
        medication = next(m for m in snapshot.comedications if m.name == name)
        evidence.append(Evidence("Co-medication", name, None, medication.source))
        detail.append(
            f"- **{name}** ({row.drug_class.replace('-', ' ')}) with {exposure.drug}: {row.action} — {row.text}"
        )
    if problem is not None:
        standard = standard_dose(snapshot, exposure, knowledge)
        if standard is not None and exposure.daily_dose_mg is not None and exposure.daily_dose_mg < standard.daily_mg:
            found_something = True
            rules += [checks["dose-below-standard"], standard] if "dose-below-standard" in checks else [standard]
            detail.append(
                f"- **Dose below standard**: {format_dose(exposure)}; standard for this line and phase: "
                f"{standard.text}. If reduced for toxicity, weigh that against the response."
            )
        elif exposure.daily_dose_mg is None:
            detail.append("- Dose not recorded: check it against the standard dose.")
        for before, after in line_dose_changes(snapshot):
            old_mg, new_mg = before.daily_dose_mg or 0.0, after.daily_dose_mg or 0.0  # dose_changes() keeps dosed
            verb = "reduced" if new_mg < old_mg else "increased"
            when = after.start.isoformat() if after.start else "an unrecorded date"
            evidence.append(Evidence("Dose change", f"{old_mg:g} → {new_mg:g} mg/day", when, after.source))
            detail.append(
                f"- **Dose {verb}** within this line: {exposure.drug} {verb} from {old_mg:g} to {new_mg:g} "
                f"mg/day on {when} (one line: the milestones still count from "
                f"{exposure.start.isoformat() if exposure.start else 'its start'})."
            )
        for earlier, later in same_drug_gaps(snapshot):
            found_something = True
            stopped, restarted = earlier.end or later.start, later.start or earlier.end
            days = (restarted - stopped).days if stopped and restarted else 0
            rules += [checks["interruptions"]] if "interruptions" in checks else []
            evidence.append(Evidence("Gap in treatment", f"{days} days", str(stopped), later.source))
            detail.append(
                f"- **Interruption**: {exposure.drug} stopped {stopped}, restarted {restarted} ({days} days)."
            )
        if "adherence" in checks:
            rules.insert(0, checks["adherence"])
        detail.append(
            "- **Adherence**: the record cannot show it — ask the patient "
            "(missed doses; fasting rules for nilotinib and asciminib)."
        )
    if interactions and "interactions" in checks:
        rules.insert(0, checks["interactions"])
    if not interactions and problem is not None:
        detail.append("- No interacting co-medication found among the recorded medications.")
    unique = list({r.id: r for r in rules}.values())
    severity = Severity.WARNING if found_something else Severity.INFO
    what = "interacting co-medication" if interactions else "adherence, dose and interactions"
    summary = f"Rule out extrinsic causes on {exposure.drug}: {what}" + (f" ({problem})" if problem else "")
    return [
        Finding(
            code=FindingCode.EXTRINSIC_CAUSES,
            severity=severity,
            summary=summary,
            rules=tuple(knowledge.rule(r) for r in unique),
            evidence=tuple(evidence),
            detail=tuple(detail),
            override_reasons=("Already checked with the patient", "Dose reduced deliberately for toxicity"),
            extra={"interactions": sorted({row.id for _, row, _ in interactions})},
        )
    ]
