"""Comorbidities that call for caution with the current or ordered TKI (`comorbidity-caution`)."""

from __future__ import annotations

from ..evidence import exposure_evidence
from ..findings import Evidence, Finding, FindingCode, RuleRef, Severity, fit
from ..knowledge.loader import Knowledge
from ..knowledge.schema import ComorbidityCautionRow
from ..model import Comorbidity, PatientSnapshot, TkiExposure
from ..state import ClinicalState
from ..state.history import ordered_tkis

__all__ = [
    "STRENGTH_NOTE",
    "UNVERIFIED_CODES",
    "caution_finding",
    "cautions_for",
    "comorbidity_findings",
    "comorbidity_rules",
]

#: How each strength is named after the caution text, and the card severity it gives.
STRENGTH_NOTE = {"caution": "", "warning": " (label warning)", "boxed": " (boxed warning)", "stop": " (label: stop)"}
_SEVERITY = {
    "caution": Severity.INFO,
    "warning": Severity.WARNING,
    "boxed": Severity.WARNING,
    "stop": Severity.CRITICAL,
}
_RANK = (Severity.INFO, Severity.WARNING, Severity.CRITICAL)

#: Cited on a card whose comorbidity was recognised through a code mapping that is not yet verified.
UNVERIFIED_CODES = RuleRef(
    id="mapping.comorbidity-codes",
    guideline="unverified",
    source="fhir_mapping/comorbidities.toml: SNOMED CT / ICD-10-CM codes from memory, not checked against a "
    "terminology server",
    verified=False,
    text="Check that the recorded condition is the comorbidity named.",
    label="cml-cds comorbidity code mapping, as recalled (fhir_mapping/comorbidities.toml)",
)


def cautions_for(
    tki: str, snapshot: PatientSnapshot, knowledge: Knowledge
) -> list[tuple[Comorbidity, ComorbidityCautionRow]]:
    """Every recorded comorbidity with a caution row for `tki` (also used for the options that remain)."""
    return [
        (comorbidity, row)
        for comorbidity in snapshot.comorbidities
        for row in knowledge.comorbidity_cautions
        if row.tki == tki and row.comorbidity == comorbidity.key
    ]


def comorbidity_rules(
    hits: list[tuple[Comorbidity, ComorbidityCautionRow]], knowledge: Knowledge
) -> tuple[RuleRef, ...]:
    """The caution rows behind `hits`, plus the unverified code mapping when any comorbidity rests on it."""
    rows = {row.id: row for _, row in hits}  # two records of one comorbidity cite its row once
    rules = tuple(knowledge.rule(row) for row in rows.values())
    return (*rules, UNVERIFIED_CODES) if any(not c.code_verified for c, _ in hits) else rules


def _summary(drug: str, names: list[str], hits: list[tuple[Comorbidity, ComorbidityCautionRow]]) -> str:
    """ "Weigh nilotinib against recorded … (boxed warning)", or "Stop …" when the label says stop."""
    strongest = max((row.strength for _, row in hits), key=lambda s: _RANK.index(_SEVERITY[s]))
    verb = "Stop" if strongest == "stop" else "Weigh"
    note = STRENGTH_NOTE[strongest]
    link = ": recorded" if verb == "Stop" else " against recorded"
    return fit(f"{verb} {drug}{link} {', '.join(names)}{note}", f"{verb} {drug}{link} comorbidities{note}")


def comorbidity_findings(state: ClinicalState, knowledge: Knowledge) -> list[Finding]:
    """One finding per TKI in use: every recorded comorbidity with a caution for it (warning when boxed)."""
    snapshot = state.snapshot
    exposures = [e for e in (snapshot.current_tki, *ordered_tkis(snapshot)) if e is not None]
    return [found for e in exposures if (found := caution_finding(e, snapshot, knowledge)) is not None]


def caution_finding(exposure: TkiExposure, snapshot: PatientSnapshot, knowledge: Knowledge) -> Finding | None:
    """The comorbidity cautions for one TKI exposure (current, ordered or drafted); None when there are none."""
    hits = cautions_for(exposure.drug, snapshot, knowledge)
    if not hits:
        return None
    severity = max((_SEVERITY[row.strength] for _, row in hits), key=_RANK.index)
    role = "ordered" if exposure.ordered else "current"
    names = sorted({c.display or c.key for c, _ in hits})
    detail = [f"Recorded comorbidities call for caution with the {role} TKI {exposure.drug}:"]
    detail += [f"- **{c.display or c.key}**: {row.text}{STRENGTH_NOTE[row.strength]}" for c, row in hits]
    evidence = [exposure_evidence(exposure, f"{role.capitalize()} TKI")]
    evidence += [
        Evidence("Comorbidity", c.display or c.key, c.onset.isoformat() if c.onset else None, c.source) for c, _ in hits
    ]
    return Finding(
        code=FindingCode.COMORBIDITY_CAUTION,
        severity=severity,
        summary=_summary(exposure.drug, names, hits),
        action=(
            f"Follow the label: stop {exposure.drug} and choose another TKI."
            if any(row.strength == "stop" for _, row in hits)
            else "Control the risk factor and monitor as the label advises, or choose a TKI without this caution."
        ),
        rules=comorbidity_rules(hits, knowledge),
        evidence=tuple(evidence),
        detail=tuple(detail),
        override_reasons=("Risk discussed with the patient", "Benefit outweighs the risk"),
        extra={"tki": exposure.drug, "comorbidities": sorted({c.key for c, _ in hits})},
    )
