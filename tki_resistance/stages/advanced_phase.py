"""Accelerated or blast phase today (`advanced-phase`), by the ELN 2013/2020 scheme or as recorded.

The phase itself is the clinical state's (state/phase.py): current evidence only, a recorded phase ageing
out like counts do. The scheme is stated on the card because the sources disagree: ELN (AP blasts 15–29%,
BP ≥30%), PDQ/WHO 2016 (AP 10–19%, BP ≥20%), WHO 2022 (no AP).
"""

from __future__ import annotations

from ..findings import Evidence, Finding, FindingCode, Severity, fit
from ..knowledge.loader import Knowledge
from ..knowledge.schema import EvidenceWindowRow, PhaseRow
from ..state import ClinicalState
from .option_lines import option_lines, options_extra

__all__ = ["advanced_phase_findings"]


def _datum(evidence: Evidence) -> str:
    """ "recorded in the chart (2026-01-02)", "blasts 18%", or the abnormality found."""
    when = f" ({evidence.date})" if evidence.date else ""
    if evidence.label == "Recorded phase":
        return "recorded in the chart" + when
    return f"{evidence.label.lower()} {evidence.value}{when}"


def advanced_phase_findings(state: ClinicalState, knowledge: Knowledge) -> list[Finding]:
    """`advanced-phase` (critical): today's phase by current evidence, the scheme used, and what to do."""
    assessment = state.phase.current
    snapshot = state.snapshot
    if assessment is None:
        return []
    criteria = [row for row in assessment.rows if isinstance(row, PhaseRow)]
    schemes = sorted({row.scheme for row in criteria})
    detail = [
        f"Phase: **{assessment.phase} phase** ({', '.join(schemes)}).",
        "Scheme used: ELN 2013/2020 (AP: blasts 15–29%, blasts + promyelocytes >30%, basophils ≥20%, "
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
    detail += option_lines(state.options)
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
            extra={"phase": assessment.phase, "scheme": schemes, **options_extra(state.options)},
        )
    ]
