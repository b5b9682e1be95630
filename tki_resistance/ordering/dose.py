"""Dose checks for a drafted TKI (`dose-check` at ordering).

- The situation rules patient-view applies (T315I on asciminib, asciminib after primary ponatinib
  failure), through `dose_check.situation_dose_findings`.
- Ponatinib 45 mg drafted in chronic phase when BCR::ABL1 is already ≤1% (label: 15 mg at ≤1%).
- A new TKI above the label's starting dose in renal or hepatic impairment (imatinib, nilotinib, bosutinib,
  ponatinib; stages/organ_dose.py), from today's creatinine clearance or Child-Pugh class, else the recorded
  kidney or liver Condition.
- A new TKI at the standard dose of another line or phase (e.g. dasatinib 140 mg, the AP/BP dose, in
  chronic phase), when no situation rule applied.

The dose to sign instead goes in `extra["replacementDose"]` only when it is unambiguous.

Before any of these, the drafted dose itself: not finite, ≤ 0, or above the label's maximum daily dose
(doses.toml, situation "label-maximum") is implausible — one warning card naming the draft and the value,
the draft withheld (delete), and none of the rules above is computed from it (`implausible_dose_finding`).
"""

from __future__ import annotations

import math
from typing import Any

import msgspec

from ..evidence import exposure_evidence, format_dose, transcript_evidence
from ..findings import Evidence, Finding, FindingCode, Severity
from ..knowledge.loader import Knowledge
from ..knowledge.schema import DoseRow
from ..model import PatientSnapshot, TkiExposure
from ..stages.dose_check import situation_dose_findings
from ..stages.organ_dose import organ_dose_findings
from ..state import ClinicalState
from ..state.history import line_for
from ..state.label_step import ponatinib_response_row
from .orders import DraftOrder

__all__ = ["draft_dose_findings", "implausible_dose_finding", "replacement"]

_OVERRIDES = ("Dose chosen deliberately", "Patient in a clinical trial")


def replacement(row: DoseRow) -> dict[str, Any]:
    """The dose a corrected order carries: mg per dose, doses per day, and the row's wording."""
    return {"mgPerDose": row.daily_mg / row.doses_per_day, "dosesPerDay": row.doses_per_day, "text": row.text}


def _finding(
    row: DoseRow,
    knowledge: Knowledge,
    summary: str,
    detail: list[str],
    evidence: list[Evidence],
    *,
    replace: bool,
) -> Finding:
    extra: dict[str, Any] = {"withhold": replace}
    if replace:
        extra["replacementDose"] = replacement(row)
    return Finding(
        code=FindingCode.DOSE_CHECK,
        severity=Severity.WARNING,
        summary=summary,
        rules=(knowledge.rule(row),),
        evidence=tuple(evidence),
        detail=(*detail, f"Label / source: {row.text}."),
        override_reasons=_OVERRIDES,
        extra=extra,
    )


def _rows(knowledge: Knowledge, tki: str, situation: str) -> list[DoseRow]:
    return [r for r in knowledge.doses if r.tki == tki and r.situation == situation]


def _ponatinib_at_response(state: ClinicalState, exposure: TkiExposure, knowledge: Knowledge) -> Finding | None:
    snapshot = state.snapshot
    if exposure.drug != "ponatinib" or exposure.daily_dose_mg is None or not snapshot.transcripts:
        return None
    row = ponatinib_response_row(knowledge, state.phase.advanced)
    latest = snapshot.transcripts[-1]
    if row is None or latest.percent_is > 1.0 or exposure.daily_dose_mg <= row.daily_mg:
        return None
    return _finding(
        row,
        knowledge,
        f"Ponatinib {exposure.daily_dose_mg:g} mg drafted with BCR::ABL1 already ≤1%: 15 mg",
        [
            f"The latest BCR::ABL1 is {latest.percent_is:g}% IS (≤1%) in chronic phase and the draft is "
            f"{format_dose(exposure)}.",
            "Label (OPTIC): 15 mg once daily once ≤1% is reached, which lowers the arterial occlusive risk.",
        ],
        [exposure_evidence(exposure, "Drafted TKI"), transcript_evidence(latest)],
        replace=True,
    )


def _line_or_phase(
    snapshot: PatientSnapshot, exposure: TkiExposure, knowledge: Knowledge, line: str, phase: str
) -> Finding | None:
    dose = exposure.daily_dose_mg
    standard = _rows(knowledge, exposure.drug, "standard")
    right = knowledge.dose_for(exposure.drug, "standard", phase, line)
    if dose is None or right is None or dose == right.daily_mg:
        return None
    other = next((r for r in standard if r.daily_mg == dose and r is not right), None)
    if other is None:
        return None
    where = {
        "chronic": "chronic phase",
        "advanced": "accelerated/blast phase",
        "accelerated": "accelerated phase",
        "blast": "blast phase",
        "any": "any phase",
    }
    whose = f"{other.line}-line {where[other.phase]}" if other.line != "any" else where[other.phase]
    return _finding(
        right,
        knowledge,
        f"{exposure.drug} {dose:g} mg/day is the {whose} dose; here: {right.text}",
        [
            f"The drafted {format_dose(exposure)} is the standard dose for {whose} ({other.text}).",
            f"This patient: {'first' if line == 'first' else 'second or later'} line, {where[phase]}; standard "
            f"dose {right.text}.",
        ],
        [exposure_evidence(exposure, "Drafted TKI")],
        replace=True,
    )


def draft_dose_findings(state: ClinicalState, exposure: TkiExposure, knowledge: Knowledge) -> list[Finding]:
    """The dose rules for a drafted TKI, in the phase and line of the clinical state."""
    snapshot, profile = state.snapshot, state.mutations
    # the patient-view rules; T315I on asciminib with the dose to sign, which its row gives
    t315i = {row.id: row for row in _rows(knowledge, "asciminib", "t315i")}
    found = [
        _with_replacement(f, t315i[f.rules[0].id]) if f.rules and f.rules[0].id in t315i else f
        for f in situation_dose_findings(snapshot, exposure, profile, knowledge)
    ]
    if (ponatinib := _ponatinib_at_response(state, exposure, knowledge)) is not None:
        found.append(ponatinib)
    current = snapshot.current_tki
    if current is not None and current.drug == exposure.drug:
        return found  # a continued TKI: escalations and reductions are the clinician's, not a starting dose
    line = "first" if line_for(snapshot, exposure.drug) == 1 else "later"
    found += organ_dose_findings(state, exposure, knowledge, line=line, drafted=True)
    if not found and (wrong := _line_or_phase(snapshot, exposure, knowledge, line, state.phase.name)) is not None:
        found.append(wrong)
    return found


def _with_replacement(finding: Finding, row: DoseRow) -> Finding:
    return msgspec.structs.replace(
        finding, extra={**finding.extra, "withhold": True, "replacementDose": replacement(row)}
    )


def _why_implausible(value: float, ceiling: DoseRow | None) -> str | None:
    if not math.isfinite(value):
        return "not a finite number"
    if value <= 0:
        return "zero or negative"
    if ceiling is not None and value > ceiling.daily_mg:
        return f"above the label's maximum, {ceiling.text}"
    return None


def _dose_for_patient(state: ClinicalState, drug: str, knowledge: Knowledge) -> DoseRow | None:
    """The label's dose for this patient's situation, said (never ordered) beside an implausible draft."""
    if drug == "asciminib" and state.mutations.has("T315I"):
        return next(iter(_rows(knowledge, "asciminib", "t315i")), None)
    line = "first" if line_for(state.snapshot, drug) == 1 else "later"
    return knowledge.dose_for(drug, "standard", state.phase.name, line)


def implausible_dose_finding(state: ClinicalState, draft: DraftOrder, knowledge: Knowledge) -> Finding | None:
    """A drafted TKI dose that cannot be meant: not finite, ≤ 0, or above the label's maximum daily dose. The
    same bounds as patient-view's (fhir_mapping/dosing.py), held to each drug's label maximum at ordering."""
    drug = draft.tki
    if drug is None:
        return None
    stated = draft.stated_mg_per_day if draft.dose_problem is not None else draft.daily_dose_mg
    if stated is None:
        return None
    ceiling = next(iter(_rows(knowledge, drug, "label-maximum")), None)
    why = _why_implausible(stated, ceiling)
    if why is None:
        return None
    value = f"{stated:g} mg/day"
    entered = f" ({draft.dose_text})" if draft.dose_text else ""
    detail = [
        f"The draft `{draft.reference}` orders {drug} at **{value}**{entered}: {why}. It is not read as a dose, "
        "and no dose rule (raise, lower, replace) is computed from it.",
    ]
    if (usual := _dose_for_patient(state, drug, knowledge)) is not None:
        detail.append(f"For this patient the label's dose is {usual.text}; correct the order before signing.")
    rules = tuple(knowledge.rule(row) for row in (ceiling, usual) if row is not None)
    return Finding(
        code=FindingCode.DOSE_CHECK,
        severity=Severity.WARNING,
        summary=f"Check the drafted {drug} dose: {value} is "
        + ("above the label maximum" if why.startswith("above") else "not a dose"),
        rules=tuple({rule.id: rule for rule in rules}.values()),
        evidence=(Evidence("Drafted TKI", f"{drug} {value} (not used: {why})", None, draft.reference),),
        detail=tuple(detail),
        override_reasons=("Dose confirmed with the prescriber",),
        action="Correct the dose in the order, then sign.",
        extra={"withhold": True, "statedDose": value, "implausible": why},
    )
