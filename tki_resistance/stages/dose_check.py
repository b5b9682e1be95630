"""Doses that do not fit the situation (`dose-check`).

- T315I on asciminib below 200 mg twice daily (label).
- Ponatinib not reduced to 15 mg once BCR::ABL1 is ≤1%, or left at 15 mg after the response was lost:
  the chronic-phase label rule (OPTIC), never applied in accelerated or blast phase.
- The label's dose in renal or hepatic impairment for the current TKI (organ_dose.py, issue #23).
- Asciminib at the standard dose after primary ponatinib failure (never ≤1% on ponatinib): the seed study
  saw little benefit at 40 mg BID. Ten patients: an info-level caution, not a warning.
A dose below the standard for the line is an extrinsic cause (extrinsic_causes.py), not a dose-check.
"""

from __future__ import annotations

from ..evidence import exposure_evidence, format_dose, format_percent, transcript_evidence
from ..findings import Evidence, Finding, FindingCode, ResponseCategory, Severity, fit
from ..knowledge.loader import Knowledge
from ..knowledge.schema import DoseRow
from ..model import PatientSnapshot, StopReason, TkiExposure
from ..state import ClinicalState
from ..state.history import ordered_tkis
from ..state.kinetics import on_drug
from ..state.label_step import ponatinib_response_row
from ..state.mutations import MutationProfile
from .organ_dose import organ_dose_findings

__all__ = ["dose_check_findings", "primary_ponatinib_failure", "situation_dose_findings"]


def _row(knowledge: Knowledge, tki: str, situation: str) -> DoseRow | None:
    return next((r for r in knowledge.doses if r.tki == tki and r.situation == situation), None)


def primary_ponatinib_failure(snapshot: PatientSnapshot) -> TkiExposure | None:
    """A ponatinib exposure stopped for resistance on which BCR::ABL1 never reached ≤1%."""
    for exposure in snapshot.tki_exposures:
        if exposure.drug != "ponatinib" or exposure.stop_reason is not StopReason.RESISTANCE or exposure.start is None:
            continue
        end = exposure.end
        results = [t for t in on_drug(snapshot.transcripts, exposure.start) if end is None or t.taken <= end]
        if results and not any(t.percent_is <= 1.0 for t in results):
            return exposure
    return None


def _finding(
    row: DoseRow,
    knowledge: Knowledge,
    summary: str,
    detail: list[str],
    evidence: list[Evidence],
    severity: Severity,
    action: str = "",
) -> Finding:
    return Finding(
        code=FindingCode.DOSE_CHECK,
        severity=severity,
        summary=summary,
        rules=(knowledge.rule(row),),
        evidence=tuple(evidence),
        detail=(*detail, f"Label / source: {row.text}."),
        override_reasons=("Dose reduced deliberately for toxicity", "Patient in a clinical trial"),
        action=action,
    )


def _asciminib_t315i(exposure: TkiExposure, knowledge: Knowledge, evidence: list[Evidence]) -> Finding | None:
    row = _row(knowledge, "asciminib", "t315i")
    if row is None or (exposure.daily_dose_mg is not None and exposure.daily_dose_mg >= row.daily_mg):
        return None
    dose = format_dose(exposure)
    return _finding(
        row,
        knowledge,
        fit(
            "Raise asciminib to 200 mg twice daily for T315I: now "
            + (f"{exposure.daily_dose_mg:g} mg/day" if exposure.daily_dose_mg is not None else "dose not recorded"),
            "Raise asciminib to 200 mg twice daily for T315I",
        ),
        [
            f"A T315I mutation is on record and the {'ordered' if exposure.ordered else 'current'} dose is {dose}.",
        ],
        evidence,
        Severity.WARNING,
        "Asciminib for T315I: 200 mg twice daily (160 mg BID as a dose reduction); adjust the dose.",
    )


def _ponatinib_response(state: ClinicalState, exposure: TkiExposure, knowledge: Knowledge) -> Finding | None:
    """Reduce at ≤1% (label); re-escalate after a loss of response at the reduced dose — said here only while
    the line's verdict is optimal: with a warning or failure the milestone card leads with it (one card)."""
    snapshot = state.snapshot
    row = ponatinib_response_row(knowledge, state.phase.advanced)
    results = on_drug(snapshot.transcripts, exposure.start) if exposure.start else []
    if row is None or not results or exposure.daily_dose_mg is None:
        return None
    latest = results[-1]
    evidence = [exposure_evidence(exposure), transcript_evidence(latest)]
    if latest.percent_is <= 1.0 and exposure.daily_dose_mg > row.daily_mg:
        return _finding(
            row,
            knowledge,
            f"Reduce ponatinib {exposure.daily_dose_mg:g} mg to 15 mg daily: BCR::ABL1 {format_percent(latest)} "
            f"({latest.taken.isoformat()}) is ≤1%",
            [
                f"BCR::ABL1 is {latest.percent_is:g}% (≤1%) on ponatinib {exposure.daily_dose_mg:g} mg/day.",
            ],
            evidence,
            Severity.INFO,
            "Reduce to 15 mg once daily now that ≤1% is reached (label: lowers the arterial occlusive risk).",
        )
    verdict = state.verdict
    optimal = verdict is None or verdict.category is ResponseCategory.OPTIMAL
    if state.label_step is not None and optimal:
        return _finding(
            row,
            knowledge,
            f"Raise ponatinib {exposure.daily_dose_mg:g} mg back to 30–45 mg: BCR::ABL1 {format_percent(latest)} "
            f"({latest.taken.isoformat()}) after ≤1%",
            [
                f"BCR::ABL1 rose to {latest.percent_is:g}% (>1%) on ponatinib {exposure.daily_dose_mg:g} mg/day "
                "after reaching ≤1%.",
            ],
            evidence,
            Severity.WARNING,
            "Label: if the response is lost after the reduction, go back up to 30 or 45 mg daily.",
        )
    return None


def _after_primary_ponatinib_failure(
    snapshot: PatientSnapshot, exposure: TkiExposure, knowledge: Knowledge
) -> Finding | None:
    row = _row(knowledge, "asciminib", "after-primary-ponatinib-failure")
    failed = primary_ponatinib_failure(snapshot)
    if row is None or failed is None or exposure.daily_dose_mg is None or exposure.daily_dose_mg > row.daily_mg:
        return None
    return _finding(
        row,
        knowledge,
        fit(
            f"Reconsider {format_dose(exposure)} after primary ponatinib failure: low expected benefit",
            "Reconsider asciminib after primary ponatinib failure: low expected benefit",
        ),
        [
            f"Ponatinib failed without ever reaching ≤1% (primary resistance, stopped {failed.end}).",
            "Dutch EAP: at 40 mg BID after primary ponatinib failure, 1 of 10 reached MR2 and none MMR "
            "(a 10-patient cohort: a caution, not a rule).",
        ],
        [exposure_evidence(exposure), exposure_evidence(failed, "Earlier TKI (primary failure)")],
        Severity.INFO,
        row.note,
    )


def dose_check_findings(state: ClinicalState, knowledge: Knowledge) -> list[Finding]:
    """Doses that do not fit the situation; none while no TKI is to be given (pregnancy: that card leads)."""
    if state.no_tki_now is not None:
        return []
    snapshot = state.snapshot
    findings: list[Finding] = []
    exposures = [e for e in (snapshot.current_tki, *ordered_tkis(snapshot)) if e is not None]
    current = snapshot.current_tki
    if current is not None:
        line = "first" if state.line_number == 1 else "later"
        findings += organ_dose_findings(state, current, knowledge, line=line, drafted=False)
    for exposure in exposures:
        findings += situation_dose_findings(snapshot, exposure, state.mutations, knowledge)
        if (
            exposure.drug == "ponatinib"
            and not exposure.ordered
            and (found := _ponatinib_response(state, exposure, knowledge))
        ):
            findings.append(found)
    return findings


def situation_dose_findings(
    snapshot: PatientSnapshot, exposure: TkiExposure, profile: MutationProfile, knowledge: Knowledge
) -> list[Finding]:
    """The dose rules for one exposure (current, ordered or drafted): T315I on asciminib, asciminib after
    primary ponatinib failure."""
    findings: list[Finding] = []
    if exposure.drug == "asciminib" and profile.has("T315I"):
        evidence = [exposure_evidence(exposure, "Ordered TKI" if exposure.ordered else "Current TKI")]
        evidence += [
            Evidence("KD mutation", v.name, t.taken.isoformat(), t.source)
            for v, t in profile.variants
            if "T315I" in v.components
        ]
        if (found := _asciminib_t315i(exposure, knowledge, evidence)) is not None:
            findings.append(found)
    elif exposure.drug == "asciminib" and (found := _after_primary_ponatinib_failure(snapshot, exposure, knowledge)):
        findings.append(found)
    return findings
