"""Accelerated or blast phase, by the ELN 2013/2020 scheme or as recorded in the chart.

The scheme is stated on the card because the sources disagree: ELN (AP blasts 15–29%, BP ≥30%),
PDQ/WHO 2016 (AP 10–19%, BP ≥20%), WHO 2022 (no AP).
"""

from __future__ import annotations

from dataclasses import dataclass

from .findings import Evidence, Finding, FindingCode, Severity, fit
from .knowledge_base import Knowledge
from .knowledge_schema import PhaseRow
from .model import DiseasePhase, PatientSnapshot

__all__ = ["PhaseAssessment", "advanced_phase_findings", "assess_phase", "is_advanced"]

_RANK = {"accelerated": 1, "blast": 2}


@dataclass(frozen=True, slots=True)
class PhaseAssessment:
    """The most advanced phase any criterion shows, with every criterion that showed it."""

    phase: str  # "accelerated" / "blast"
    rows: tuple[PhaseRow, ...]
    evidence: tuple[Evidence, ...]


def _matches(row: PhaseRow, snapshot: PatientSnapshot) -> Evidence | None:
    if row.recorded:
        if snapshot.phase.value == row.phase:
            when = snapshot.phase_date.isoformat() if snapshot.phase_date else None
            return Evidence("Recorded phase", snapshot.phase.value, when, snapshot.phase_source)
        return None
    if row.blasts_min is not None and snapshot.blast_percent is not None:
        above = snapshot.blast_percent >= row.blasts_min
        below = row.blasts_below is None or snapshot.blast_percent < row.blasts_below
        if above and below:
            return Evidence("Blasts", f"{snapshot.blast_percent:g}%", None, snapshot.phase_source)
    if row.abnormalities and snapshot.tki_exposures:
        found = sorted(set(row.abnormalities) & set(snapshot.chromosomal_abnormalities))
        if found:
            return Evidence("Additional chromosomal abnormalities on treatment", ", ".join(found), None, None)
    return None


def assess_phase(snapshot: PatientSnapshot, knowledge: Knowledge) -> PhaseAssessment | None:
    """None in chronic phase or when nothing in the record shows an advanced phase."""
    hits = [(row, ev) for row in knowledge.phases if (ev := _matches(row, snapshot)) is not None]
    if not hits:
        return None
    phase = max((row.phase for row, _ in hits), key=lambda p: _RANK[p])
    return PhaseAssessment(phase, tuple(r for r, _ in hits), tuple(e for _, e in hits))


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
    schemes = sorted({row.scheme for row in assessment.rows})
    detail = [
        f"Phase: **{assessment.phase} phase** ({', '.join(schemes)}).",
        "Scheme used: ELN 2013/2020 (AP: blasts 15–29%, or major-route chromosomal abnormalities in Ph+ cells "
        "on treatment; BP: blasts ≥30%). Other schemes: PDQ/WHO 2016 AP 10–19%, BP ≥20%; WHO 2022 has no AP.",
    ]
    if snapshot.blast_percent is not None and 20 <= snapshot.blast_percent < 30:
        detail.append(f"Blasts {snapshot.blast_percent:g}%: blast phase by WHO 2016/ICC 2022 (≥20%), AP by ELN.")
    datum = "; ".join(_datum(e) for e in assessment.evidence)
    criteria = ", ".join(s for s in schemes if "recorded" not in s)
    return [
        Finding(
            code=FindingCode.ADVANCED_PHASE,
            severity=Severity.CRITICAL,
            summary=fit(
                f"Treat as {assessment.phase}-phase CML and evaluate for allo-SCT: {datum}"
                + (f" ({criteria})" if criteria else ""),
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
