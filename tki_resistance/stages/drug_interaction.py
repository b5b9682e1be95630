"""Safety interactions with the current TKI (`drug-interaction`), whatever the response.

An interaction that *raises* TKI exposure (a strong CYP3A4 inhibitor) or adds a risk of its own (QT
prolongation, bleeding) is a safety question: it is never a cause of resistance, so it is not on the
extrinsic-causes card (which takes only interactions that *lower* exposure). The rows say which is which
(`interactions.toml`, `exposure`).
"""

from __future__ import annotations

from typing import Any

from ..evidence import exposure_evidence
from ..findings import Evidence, Finding, FindingCode, Severity, fit
from ..knowledge.interactions import exposure_interactions
from ..knowledge.loader import Knowledge
from ..state import ClinicalState

__all__ = ["drug_interaction_findings"]


def drug_interaction_findings(state: ClinicalState, knowledge: Knowledge) -> list[Finding]:
    """One card for the current TKI listing every safety interaction; warning when the label says avoid."""
    exposure = state.current_tki
    if exposure is None:
        return []
    hits = exposure_interactions(state.snapshot.comedications, exposure.drug, knowledge.interaction_index, "safety")
    if not hits:
        return []
    avoid = any(row.action == "avoid" for _, row, _ in hits)
    partners = sorted({medication.name for medication, _, _ in hits})
    actions = sorted({row.action for _, row, _ in hits})
    rows: dict[str, Any] = {}
    for _, row, drug_class in hits:
        rows.setdefault(row.id, row)
        rows.setdefault(drug_class.id, drug_class)
    evidence: list[Evidence] = [exposure_evidence(exposure)]
    evidence += [Evidence("Co-medication", m.name, None, m.source) for m, _, _ in hits]
    effect = {"raises": "raises exposure", "other": "adds a risk"}
    return [
        Finding(
            code=FindingCode.DRUG_INTERACTION,
            severity=Severity.WARNING if avoid else Severity.INFO,
            summary=fit(
                f"Review {', '.join(partners)} with {exposure.drug}: {'/'.join(actions)} (safety, not resistance)",
                f"Review {len(partners)} co-medications with {exposure.drug}: {'/'.join(actions)}",
            ),
            action="Follow the label: avoid the combination, or adjust the dose and monitor as it says.",
            rules=tuple(knowledge.rule(row) for row in rows.values()),
            evidence=tuple(dict.fromkeys(evidence)),
            detail=tuple(
                f"- **{m.name}** ({drug_class.label}) with {exposure.drug}: {row.action} — "
                f"{effect.get(row.exposure, row.exposure)}; {row.text}"
                for m, row, drug_class in hits
            ),
            override_reasons=("Interaction managed (dose, timing or monitoring)", "Benefit outweighs the risk"),
            extra={
                "interactions": [
                    {
                        "drug": m.name,
                        "tki": exposure.drug,
                        "class": row.drug_class,
                        "action": row.action,
                        "exposure": row.exposure,
                        "rule": row.id,
                    }
                    for m, row, _ in hits
                ],
                "actions": actions,
            },
        )
    ]
