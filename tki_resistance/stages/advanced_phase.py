"""Accelerated or blast phase, by the ELN 2013/2020 scheme or as recorded in the chart.

The scheme is stated on the card because the sources disagree: ELN (AP blasts 15–29%, BP ≥30%),
PDQ/WHO 2016 (AP 10–19%, BP ≥20%), WHO 2022 (no AP). ELN's other AP criteria (blasts + promyelocytes
≥30%, basophils ≥20%, platelets <100 × 10⁹/L unrelated to therapy, clonal evolution on treatment) and BP
by extramedullary blasts are rows of `phases.toml`. Counts and karyotypes age out (`evidence_windows.toml`):
an old result is named on the card as too old, never used silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..findings import Evidence, Finding, FindingCode, Severity, fit
from ..knowledge.loader import Knowledge
from ..knowledge.schema import EvidenceWindowRow, KnowledgeRow, PhaseRow
from ..model import DiseasePhase, LabValue, PatientSnapshot
from ..shared_derivations import memoised_per_assessment

__all__ = ["PhaseAssessment", "advanced_phase_findings", "assess_phase", "is_advanced"]

_RANK = {"accelerated": 1, "blast": 2}


@dataclass(frozen=True, slots=True)
class PhaseAssessment:
    """The most advanced phase any criterion shows, with every criterion that showed it."""

    phase: str  # "accelerated" / "blast"
    rows: tuple[KnowledgeRow, ...]  # the phase criteria met, and the evidence windows applied
    evidence: tuple[Evidence, ...]
    too_old: tuple[str, ...] = ()  # results that would have met a criterion but are past their window


_LABELS = {
    "blasts": ("Blasts", "%"),
    "blasts-promyelocytes": ("Blasts + promyelocytes", "%"),
    "basophils": ("Basophils (blood)", "%"),
    "platelets": ("Platelets", " × 10⁹/L"),
}


def _measure(snapshot: PatientSnapshot, measure: str) -> LabValue | None:
    if measure == "blasts":
        if snapshot.blast_percent is None:
            return None
        return LabValue(
            snapshot.blast_source or snapshot.phase_source or "", snapshot.blast_date, snapshot.blast_percent
        )
    value: LabValue | None = getattr(snapshot, measure.replace("-", "_"))
    return value


def _window(knowledge: Knowledge, evidence: str) -> EvidenceWindowRow | None:
    return next((w for w in knowledge.evidence_windows if w.evidence == evidence), None)


def _fresh(taken: date | None, window: EvidenceWindowRow | None, as_of: date) -> bool:
    """Undated evidence counts (it cannot be shown to be old); dated evidence within its window."""
    return taken is None or window is None or (as_of - taken).days <= window.max_age_days


_Hit = tuple[Evidence, EvidenceWindowRow | None, str | None]  # evidence, window applied, "too old" note


def _measured(row: PhaseRow, snapshot: PatientSnapshot, knowledge: Knowledge) -> _Hit | None:
    if row.measure is None or (lab := _measure(snapshot, row.measure)) is None:
        return None
    if row.off_therapy_only and snapshot.current_tki is not None:
        return None
    in_range = (row.at_least is None or lab.value >= row.at_least) and (row.below is None or lab.value < row.below)
    if not in_range:
        return None
    label, unit = _LABELS[row.measure]
    when = lab.taken.isoformat() if lab.taken else None
    window = _window(knowledge, row.measure)
    if not _fresh(lab.taken, window, snapshot.as_of):
        note = f"{label} {lab.value:g}{unit} ({when}) is older than {window.max_age_days} days" if window else None
        return None if note is None else (Evidence(label, f"{lab.value:g}{unit}", when, lab.source), window, note)
    return Evidence(label, f"{lab.value:g}{unit}", when, lab.source or None), window if lab.taken else None, None


def _matches(row: PhaseRow, snapshot: PatientSnapshot, knowledge: Knowledge) -> _Hit | None:
    if row.recorded:
        if snapshot.phase.value == row.phase:
            when = snapshot.phase_date.isoformat() if snapshot.phase_date else None
            return Evidence("Recorded phase", snapshot.phase.value, when, snapshot.phase_source), None, None
        return None
    if row.extramedullary:
        if snapshot.extramedullary_blasts_source is None:
            return None
        return Evidence("Extramedullary blasts", "recorded", None, snapshot.extramedullary_blasts_source), None, None
    if row.measure is not None:
        return _measured(row, snapshot, knowledge)
    if row.abnormalities and snapshot.tki_exposures:
        found = sorted(set(row.abnormalities) & set(snapshot.chromosomal_abnormalities))
        if found:
            when = snapshot.karyotype_date.isoformat() if snapshot.karyotype_date else None
            evidence = Evidence(
                "Additional chromosomal abnormalities on treatment", ", ".join(found), when, snapshot.karyotype_source
            )
            window = _window(knowledge, "karyotype")
            if not _fresh(snapshot.karyotype_date, window, snapshot.as_of) and window is not None:
                return (
                    evidence,
                    window,
                    f"karyotype with {', '.join(found)} ({when}) is older than {window.max_age_days} days",
                )
            return evidence, window if snapshot.karyotype_date else None, None
    return None


@memoised_per_assessment
def assess_phase(snapshot: PatientSnapshot, knowledge: Knowledge) -> PhaseAssessment | None:
    """None in chronic phase or when nothing current in the record shows an advanced phase."""
    matched = [(row, hit) for row in knowledge.phases if (hit := _matches(row, snapshot, knowledge)) is not None]
    hits = [(row, ev, window) for row, (ev, window, old) in matched if old is None]
    if not hits:
        return None
    phase = max((row.phase for row, _, _ in hits), key=lambda p: _RANK[p])
    rows: list[KnowledgeRow] = [row for row, _, _ in hits]
    rows += list({w.id: w for _, _, w in hits if w is not None}.values())
    too_old = tuple(old for _, (_, _, old) in matched if old is not None)
    return PhaseAssessment(phase, tuple(rows), tuple(e for _, e, _ in hits), too_old)


def _datum(evidence: Evidence) -> str:
    """ "recorded in the chart (2026-01-02)", "blasts 18%", or the abnormality found."""
    when = f" ({evidence.date})" if evidence.date else ""
    if evidence.label == "Recorded phase":
        return "recorded in the chart" + when
    return f"{evidence.label.lower()} {evidence.value}{when}"


def advanced_phase_findings(snapshot: PatientSnapshot, knowledge: Knowledge) -> list[Finding]:
    """`advanced-phase` (critical): the phase, the scheme used, and what the guidelines advise."""
    assessment = assess_phase(snapshot, knowledge)
    if assessment is None:
        return []
    criteria = [row for row in assessment.rows if isinstance(row, PhaseRow)]
    schemes = sorted({row.scheme for row in criteria})
    detail = [
        f"Phase: **{assessment.phase} phase** ({', '.join(schemes)}).",
        "Scheme used: ELN 2013/2020 (AP: blasts 15–29%, blasts + promyelocytes ≥30%, basophils ≥20%, "
        "platelets <100 × 10⁹/L unrelated to therapy, or major-route chromosomal abnormalities in Ph+ cells "
        "on treatment; BP: blasts ≥30% or extramedullary blasts). Other schemes: PDQ/WHO 2016 AP 10–19%, "
        "BP ≥20%; WHO 2022 has no AP.",
    ]
    detail += [f"Criterion met: {row.note}" for row in criteria if row.note]
    windows = [row for row in assessment.rows if isinstance(row, EvidenceWindowRow)]
    detail += [f"{w.text} (service choice, unverified)." for w in windows]
    detail += [f"Not used, too old: {note}." for note in assessment.too_old]
    if snapshot.blast_percent is not None and 20 <= snapshot.blast_percent < 30:
        detail.append(f"Blasts {snapshot.blast_percent:g}%: blast phase by WHO 2016/ICC 2022 (≥20%), AP by ELN.")
    datum = "; ".join(_datum(e) for e in assessment.evidence)
    named = ", ".join(s for s in schemes if "recorded" not in s)
    return [
        Finding(
            code=FindingCode.ADVANCED_PHASE,
            severity=Severity.CRITICAL,
            summary=fit(
                f"Treat as {assessment.phase}-phase CML and evaluate for allo-SCT: {datum}"
                + (f" ({named})" if named else ""),
                f"Treat as {assessment.phase}-phase CML and evaluate for allo-SCT",
            ),
            action="KD mutation testing by NGS, TKI chosen by mutation status, allo-SCT evaluation (TKI induction "
            "first in AP; in BP at presentation allo-SCT is preferred for certain patients).",
            rules=tuple(knowledge.rule(row) for row in assessment.rows),
            evidence=assessment.evidence,
            detail=tuple(detail),
            override_reasons=("Phase already known and managed",),
            extra={"phase": assessment.phase, "scheme": schemes},
        )
    ]


def is_advanced(snapshot: PatientSnapshot, knowledge: Knowledge) -> bool:
    return (
        snapshot.phase in (DiseasePhase.ACCELERATED, DiseasePhase.BLAST)
        or assess_phase(snapshot, knowledge) is not None
    )
