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
from ..knowledge.interactions import exposure_interactions
from ..knowledge.loader import Knowledge
from ..knowledge.schema import DoseRow, KnowledgeRow
from ..model import TkiExposure
from ..state import ClinicalState
from ..state.history import same_drug_gaps
from ..state.kinetics import kinetics, log_rise_floor
from ..state.organ import organ_dose_rows

__all__ = [
    "CONCRETE_CAUSES",
    "extrinsic_causes_findings",
    "extrinsic_summary",
    "response_problem",
    "standard_dose",
]

#: Causes the record itself shows; without one the card is only "ask about adherence" (consolidation.py).
CONCRETE_CAUSES = frozenset({"interaction", "dose-below-standard", "interruption"})


def response_problem(state: ClinicalState, knowledge: Knowledge) -> str | None:
    """Why resistance may be suspected on the current TKI, or None when the response is optimal."""
    exposure = state.current_tki
    snapshot = state.snapshot
    if exposure is None or exposure.start is None:
        return None
    if snapshot.atypical_transcript is not None:
        return None  # IS bands do not apply; the transcript card shows the patient's own trend
    verdict = state.verdict
    if verdict is not None and verdict.category is not ResponseCategory.OPTIMAL:
        lost = verdict.milestone is not None and verdict.milestone.loss_of_mmr
        return f"ELN 2020 {verdict.category.value}" + (" (loss of MMR)" if lost else "")
    if kinetics(snapshot.transcripts, exposure.start, log_rise_floor(knowledge)).rise_factor is not None:
        return "≥1-log rise in BCR::ABL1"
    return None


def standard_dose(state: ClinicalState, exposure: TkiExposure, knowledge: Knowledge) -> DoseRow | None:
    """The standard dose of the drug for its line (first / later) and the phase *in which that line started*:
    a line begun in chronic phase is judged by the chronic-phase dose even after a progression on it."""
    number = state.line_number
    line = state.current_line
    phase = state.phase.at_start(line.start if line is not None else exposure.start, number == 1)
    return knowledge.dose_for(exposure.drug, "standard", phase, "first" if number == 1 else "later")


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


def _reduced_within_line(state: ClinicalState) -> bool:
    """The current line's dose was once higher than it is now (a reduction to restore, not a dose never given)."""
    line = state.current_line
    return line is not None and any(
        (after.daily_dose_mg or 0.0) < (before.daily_dose_mg or 0.0) for before, after in line.dose_changes()
    )


def extrinsic_causes_findings(state: ClinicalState, knowledge: Knowledge) -> list[Finding]:
    """Causes outside the leukaemia that the record shows: only what actually happened. An interaction that
    *raises* exposure is a safety question (drug_interaction.py), never a cause of resistance."""
    snapshot = state.snapshot
    exposure = state.current_tki
    if exposure is None:
        return []
    problem = response_problem(state, knowledge)
    interactions = exposure_interactions(snapshot.comedications, exposure.drug, knowledge.interaction_index, "lowers")
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
        standard = standard_dose(state, exposure, knowledge)
        below = (
            standard is not None and exposure.daily_dose_mg is not None and exposure.daily_dose_mg < standard.daily_mg
        )
        if below and exposure.daily_dose_mg is not None:
            # a dose the label gives for today's renal or hepatic function is not a cause to rule out (#23)
            line = "first" if state.line_number == 1 else "later"
            organ = organ_dose_rows(state.organ, exposure.drug, line, state.phase.name, knowledge)
            below = not any(exposure.daily_dose_mg >= min(r.daily_mg for r in rows) for _, rows in organ)
        label_or_pregnancy = state.label_step is not None or state.no_tki_now is not None
        if standard is not None and below and not label_or_pregnancy and exposure.daily_dose_mg is not None:
            reduced = _reduced_within_line(state)
            cause(
                "dose-below-standard",
                f"dose {exposure.daily_dose_mg:g} mg/day below the standard {standard.daily_mg:g} mg/day",
                f"- **Dose below standard**: {format_dose(exposure)}; standard for this line and the phase it "
                f"started in: {standard.text}. "
                + (
                    "If reduced for toxicity, weigh that against the response."
                    if reduced
                    else "The line has not been given at a higher dose."
                ),
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
        for before, after in state.current_line.dose_changes() if state.current_line is not None else []:
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
        "dose-below-standard": (
            "restore the standard dose unless it was reduced for toxicity"
            if _reduced_within_line(state)
            else "give the standard dose for this line and phase"
        ),
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
