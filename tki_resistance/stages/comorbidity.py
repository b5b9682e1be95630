"""Comorbidities that call for caution with the current or ordered TKI (`comorbidity-caution`)."""

from __future__ import annotations

from ..evidence import exposure_evidence
from ..findings import Evidence, Finding, FindingCode, RuleRef, Severity, fit
from ..knowledge.loader import Knowledge
from ..knowledge.schema import ComorbidityCautionRow, KnowledgeRow
from ..model import Comorbidity, PatientSnapshot, TkiExposure
from ..state import ClinicalState
from ..state.history import ordered_tkis
from ..state.organ import OrganState

__all__ = [
    "STRENGTH_NOTE",
    "UNVERIFIED_CODES",
    "caution_finding",
    "cautions_for",
    "comorbidity_findings",
    "comorbidity_rules",
]

#: How each strength is named after the caution text, and the card severity it gives.
STRENGTH_NOTE = {
    "caution": "",
    "warning": " (label warning)",
    "boxed": " (boxed warning)",
    "hold": " (boxed warning: correct first)",
    "stop": " (label: stop)",
}
_SEVERITY = {
    "caution": Severity.INFO,
    "warning": Severity.WARNING,
    "boxed": Severity.WARNING,
    "hold": Severity.CRITICAL,
    "stop": Severity.CRITICAL,
}
_RANK = (Severity.INFO, Severity.WARNING, Severity.CRITICAL)
_STRENGTHS = ("caution", "warning", "boxed", "hold", "stop")  # weakest first

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
    return [(c, row) for c in snapshot.comorbidities for row in knowledge.caution_rows(tki, c.key)]


def comorbidity_rules(
    hits: list[tuple[Comorbidity, ComorbidityCautionRow]], knowledge: Knowledge, organ: OrganState | None = None
) -> tuple[RuleRef, ...]:
    """The caution rows behind `hits`, the organ_function rows a low potassium or magnesium result rests on
    (its window, the lower limit when the laboratory gave none), plus the unverified code mapping when any
    comorbidity rests on it."""
    rows: dict[str, KnowledgeRow] = {row.id: row for _, row in hits}  # two records of one comorbidity: once
    if organ is not None:
        rows.update({row.id: row for c, _ in hits for row in organ.rows_for(c.source)})
    rules = tuple(knowledge.rule(row) for row in rows.values())
    return (*rules, UNVERIFIED_CODES) if any(not c.code_verified for c, _ in hits) else rules


def _strongest(hits: list[tuple[Comorbidity, ComorbidityCautionRow]]) -> str:
    return max((row.strength for _, row in hits), key=_STRENGTHS.index)


def _summary(drug: str, names: list[str], hits: list[tuple[Comorbidity, ComorbidityCautionRow]], ordered: bool) -> str:
    """ "Weigh nilotinib against recorded … (boxed warning)"; "Stop …" (an ordered TKI: "Do not give …") when
    the label says stop; "Do not give … until corrected" when it says correct first."""
    strongest = _strongest(hits)
    note = STRENGTH_NOTE[strongest]
    if strongest == "hold":
        gone = [c.display or c.key for c, row in hits if row.strength == "hold"]
        return fit(
            f"Do not give {drug} until corrected: {', '.join(sorted(set(gone)))}{note}",
            f"Do not give {drug} until corrected{note}",
        )
    if strongest == "stop":
        verb = "Do not give" if ordered else "Stop"
        return fit(f"{verb} {drug}: recorded {', '.join(names)}{note}", f"{verb} {drug}: recorded comorbidities{note}")
    return fit(
        f"Weigh {drug} against recorded {', '.join(names)}{note}", f"Weigh {drug} against recorded comorbidities{note}"
    )


def _action(drug: str, hits: list[tuple[Comorbidity, ComorbidityCautionRow]]) -> str:
    strongest = _strongest(hits)
    if strongest == "stop":
        return f"Follow the label: stop {drug} and choose another TKI."
    if strongest == "hold":
        return (
            f"Follow the boxed warning: do not give {drug} until potassium and magnesium are corrected to within "
            "normal limits; then an ECG (QTc) before the next dose, at 7 days and after dose changes."
        )
    return "Control the risk factor and monitor as the label advises, or choose a TKI without this caution."


def comorbidity_findings(state: ClinicalState, knowledge: Knowledge) -> list[Finding]:
    """One finding per TKI in use: every recorded comorbidity with a caution for it (warning when boxed)."""
    snapshot = state.snapshot
    exposures = [e for e in (snapshot.current_tki, *ordered_tkis(snapshot)) if e is not None]
    return [found for e in exposures if (found := caution_finding(e, snapshot, knowledge, state.organ)) is not None]


def caution_finding(
    exposure: TkiExposure, snapshot: PatientSnapshot, knowledge: Knowledge, organ: OrganState | None = None
) -> Finding | None:
    """The comorbidity cautions for one TKI exposure (current, ordered or drafted); None when there are none.
    `snapshot` is the clinical state's: a recent low potassium or magnesium is among its comorbidities."""
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
        Evidence(
            "Laboratory result" if c.source.startswith("Observation/") else "Comorbidity",
            c.display or c.key,
            c.onset.isoformat() if c.onset else None,
            c.source,
        )
        for c, _ in hits
    ]
    strongest = _strongest(hits)
    return Finding(
        code=FindingCode.COMORBIDITY_CAUTION,
        severity=severity,
        summary=_summary(exposure.drug, names, hits, exposure.ordered),
        action=_action(exposure.drug, hits),
        rules=comorbidity_rules(hits, knowledge, organ),
        evidence=tuple(evidence),
        detail=tuple(detail),
        override_reasons=("Risk discussed with the patient", "Benefit outweighs the risk"),
        extra={
            "tki": exposure.drug,
            "comorbidities": sorted({c.key for c, _ in hits}),
            # the label says do not give it (as it stands): at ordering the draft is not to be signed
            **({"withhold": True} if strongest in ("stop", "hold") else {}),
        },
    )
