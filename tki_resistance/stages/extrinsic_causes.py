"""Extrinsic causes to rule out before calling resistance (`extrinsic-causes`).

When: with a warning, a failure, a loss of MMR or a ≥1-log rise on the current TKI, every check
(interactions, dose below the standard for the drug, line and phase, gaps in the medication record, and
the adherence question the record cannot answer). Without a response problem, only an interaction whose
label action is "avoid" gives a card: it needs action whatever the response.
"""

from __future__ import annotations

from typing import Any

from ..evidence import exposure_evidence, format_dose
from ..findings import Evidence, Finding, FindingCode, ResponseCategory, Severity, fit
from ..knowledge.interactions import interaction_rows
from ..knowledge.loader import Knowledge
from ..knowledge.schema import DoseRow, DrugClassRow, InteractionRow, KnowledgeRow
from ..model import Comedication, PatientSnapshot, TkiExposure
from ..state.history import current_line, line_dose_changes, same_drug_gaps
from ..state.kinetics import kinetics
from .advanced_phase import is_advanced
from .response import line_assessment, log_rise_floor

__all__ = ["CONCRETE_CAUSES", "extrinsic_causes_findings", "extrinsic_summary", "response_problem", "standard_dose"]

#: Causes the record itself shows; without one the card is only "ask about adherence" (consolidation.py).
CONCRETE_CAUSES = frozenset({"interaction", "dose-below-standard", "interruption"})


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
) -> list[tuple[Comedication, InteractionRow, DrugClassRow]]:
    found = []
    for medication in snapshot.comedications:
        for row, drug_class in interaction_rows(medication, drug, knowledge.interaction_index):
            found.append((medication, row, drug_class))
    return found


def extrinsic_summary(drug: str, causes: list[dict[str, Any]], problem: str | None) -> str:
    """The card's summary from its causes (also used by consolidation after it moves a cause away)."""
    phrases = [c["phrase"] for c in causes if c["kind"] in CONCRETE_CAUSES]
    why = f" ({problem})" if problem else ""
    if not phrases:
        return fit(
            f"Ask about adherence to {drug} before calling resistance{why}",
            f"Ask about adherence to {drug}{why}",
        )
    if problem is None:
        return fit(
            f"Review co-medication with {drug}: " + "; ".join(phrases),
            f"Review {len(phrases)} co-medications with {drug}",
        )
    return fit(
        f"Rule out before calling resistance on {drug}: " + "; ".join(phrases) + why,
        f"Rule out on {drug}: " + "; ".join(phrases),
        f"Rule out {len(phrases)} extrinsic causes on {drug}{why}",
    )


def _fasting(drug: str) -> str:
    return "; taken fasting as the label asks" if drug in ("nilotinib", "asciminib") else ""


def extrinsic_causes_findings(snapshot: PatientSnapshot, knowledge: Knowledge) -> list[Finding]:
    exposure = snapshot.current_tki
    if exposure is None:
        return []
    problem = response_problem(snapshot, knowledge)
    interactions = _interactions(snapshot, exposure.drug, knowledge)
    if problem is None and not any(row.action == "avoid" for _, row, _ in interactions):
        return []
    checks = {row.check: row for row in knowledge.extrinsic_checks}
    rows: dict[str, KnowledgeRow] = {}
    causes: list[dict[str, Any]] = []
    evidence: list[Evidence] = [exposure_evidence(exposure)]

    def cause(kind: str, phrase: str, text: str, cause_rows: list[KnowledgeRow], reference: str | None) -> None:
        rows.update({r.id: r for r in cause_rows})
        entry = {"kind": kind, "phrase": phrase, "text": text, "rules": [r.id for r in cause_rows]}
        causes.append(entry | ({"reference": reference} if reference else {}))

    general = [checks["interactions"]] if interactions and "interactions" in checks else []
    general += [checks["adherence"]] if problem is not None and "adherence" in checks else []
    rows.update({r.id: r for r in general})
    for medication, row, drug_class in interactions:
        evidence.append(Evidence("Co-medication", medication.name, None, medication.source))
        cause(
            "interaction",
            f"{medication.name} ({drug_class.label}: {row.action})",
            f"- **{medication.name}** ({drug_class.label}) with {exposure.drug}: {row.action} — {row.text}",
            [row, drug_class],
            medication.source,
        )
    if problem is not None:
        standard = standard_dose(snapshot, exposure, knowledge)
        if standard is not None and exposure.daily_dose_mg is not None and exposure.daily_dose_mg < standard.daily_mg:
            cause(
                "dose-below-standard",
                f"dose {exposure.daily_dose_mg:g} mg/day below the standard {standard.daily_mg:g} mg/day",
                f"- **Dose below standard**: {format_dose(exposure)}; standard for this line and phase: "
                f"{standard.text}. If reduced for toxicity, weigh that against the response.",
                ([checks["dose-below-standard"]] if "dose-below-standard" in checks else []) + [standard],
                exposure.source,
            )
        elif exposure.daily_dose_mg is None:
            cause(
                "dose-not-recorded",
                "dose not recorded",
                "- Dose not recorded: check it against the standard.",
                [],
                None,
            )
        for before, after in line_dose_changes(snapshot):
            old_mg, new_mg = before.daily_dose_mg or 0.0, after.daily_dose_mg or 0.0  # dose_changes() keeps dosed
            verb = "reduced" if new_mg < old_mg else "increased"
            when = after.start.isoformat() if after.start else "an unrecorded date"
            evidence.append(Evidence("Dose change", f"{old_mg:g} → {new_mg:g} mg/day", when, after.source))
            cause(
                "dose-change",
                f"dose {verb} {old_mg:g} → {new_mg:g} mg/day",
                f"- **Dose {verb}** within this line: {exposure.drug} {verb} from {old_mg:g} to {new_mg:g} "
                f"mg/day on {when} (one line: the milestones still count from "
                f"{exposure.start.isoformat() if exposure.start else 'its start'}).",
                [],
                after.source,
            )
        for earlier, later in same_drug_gaps(snapshot):
            stopped, restarted = earlier.end or later.start, later.start or earlier.end
            days = (restarted - stopped).days if stopped and restarted else 0
            evidence.append(Evidence("Gap in treatment", f"{days} days", str(stopped), later.source))
            cause(
                "interruption",
                f"{days}-day gap in treatment ({stopped} to {restarted})",
                f"- **Interruption**: {exposure.drug} stopped {stopped}, restarted {restarted} ({days} days).",
                [checks["interruptions"]] if "interruptions" in checks else [],
                later.source,
            )
        cause(
            "adherence",
            "adherence",
            f"- **Adherence**: the record cannot show it — ask about missed doses{_fasting(exposure.drug)}.",
            [],
            None,
        )
    concrete = [c for c in causes if c["kind"] in CONCRETE_CAUSES]
    detail: list[str] = []
    if problem is not None:
        detail.append(f"Before calling resistance ({problem}), rule out causes outside the leukaemia (Soverini 2026):")
    detail += [c["text"] for c in causes]
    if not interactions and problem is not None:
        detail.append("- No interacting co-medication among the recorded medications.")
    actions = {
        "interaction": "stop or replace the interacting medicine, or follow the label's advice",
        "dose-below-standard": "restore the standard dose unless it was reduced for toxicity",
        "interruption": "ask why treatment was interrupted",
        "adherence": "ask about adherence",
    }
    action = "; ".join(dict.fromkeys(actions[c["kind"]] for c in causes if c["kind"] in actions))
    others = [c["text"].removeprefix("- ") for c in causes if c["kind"] not in CONCRETE_CAUSES | {"adherence"}]
    brief = " ".join(
        [
            f"Before calling resistance: ask about adherence to {exposure.drug} (missed doses"
            f"{_fasting(exposure.drug)}); the record shows no interacting co-medication, dose below standard or "
            "gap in treatment.",
            *others,
        ]
    )
    return [
        Finding(
            code=FindingCode.EXTRINSIC_CAUSES,
            severity=Severity.WARNING if concrete else Severity.INFO,
            summary=extrinsic_summary(exposure.drug, causes, problem),
            rules=tuple(knowledge.rule(r) for r in rows.values()),
            evidence=tuple(evidence),
            detail=tuple(detail),
            override_reasons=("Already checked with the patient", "Dose reduced deliberately for toxicity"),
            extra={
                "interactions": sorted({row.id for _, row, _ in interactions}),
                "causes": causes,
                "drug": exposure.drug,
                "problem": problem,
                "generalRules": [r.id for r in general],
            },
            action=action[0].upper() + action[1:] + "." if action else "",
            brief=brief,
        )
    ]
