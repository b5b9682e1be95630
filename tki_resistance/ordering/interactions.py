"""Interactions at ordering (`drug-interaction`), both ways, from the same tables as patient-view.

- A drafted TKI against every current co-medication (and every non-TKI drafted in the same session).
- A drafted non-TKI (a PPI, a strong CYP3A4 inhibitor or inducer, a QT-prolonging drug …) against the
  current TKI, open TKI orders, and TKIs drafted in the session that are not spoken about themselves (a
  pair of two spoken drafts is told once, on the TKI's card).

Each line says what to do (the table's action: avoid, caution, separate, and the label's words). A drafted
non-TKI whose interaction the label says to avoid should not be signed as it stands (`withhold`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..evidence import exposure_evidence
from ..findings import Evidence, Finding, FindingCode, Severity
from ..knowledge.interactions import interaction_rows
from ..knowledge.loader import Knowledge
from ..knowledge.schema import DrugClassRow, InteractionRow
from ..model import Comedication, PatientSnapshot, TkiExposure
from ..state.history import ordered_tkis
from .orders import DraftOrder

__all__ = ["draft_interaction_findings"]

Hit = tuple[Comedication, TkiExposure, InteractionRow, DrugClassRow]


def _tki_draft_hits(
    snapshot: PatientSnapshot, draft: DraftOrder, session: Sequence[DraftOrder], knowledge: Knowledge
) -> list[Hit]:
    exposure = draft.as_exposure(snapshot.as_of)
    drafted = {d.reference for d in session}
    medications = [m for m in snapshot.comedications if m.source not in drafted]
    medications += [d.as_comedication() for d in session if d.tki is None and d.reference != draft.reference]
    return [
        (medication, exposure, row, drug_class)
        for medication in medications
        for row, drug_class in interaction_rows(medication, exposure.drug, knowledge.interaction_index)
    ]


def _other_draft_hits(
    snapshot: PatientSnapshot,
    draft: DraftOrder,
    session: Sequence[DraftOrder],
    spoken: Sequence[DraftOrder],
    knowledge: Knowledge,
) -> list[Hit]:
    told = {d.reference for d in spoken if d.tki is not None}
    drafted = {d.reference for d in session}
    tkis: dict[str, TkiExposure] = {}
    current = snapshot.current_tki
    if current is not None:
        tkis[current.drug] = current
    for exposure in ordered_tkis(snapshot):
        if exposure.source not in drafted:
            tkis.setdefault(exposure.drug, exposure)
    for other in session:
        if other.tki is not None and other.reference not in told:
            tkis.setdefault(other.tki, other.as_exposure(snapshot.as_of))
    medication = draft.as_comedication()
    return [
        (medication, exposure, row, drug_class)
        for exposure in tkis.values()
        for row, drug_class in interaction_rows(medication, exposure.drug, knowledge.interaction_index)
    ]


def _role(exposure: TkiExposure, snapshot: PatientSnapshot, drafted: set[str]) -> str:
    if exposure is snapshot.current_tki:
        return "Current TKI"
    return "Drafted TKI" if exposure.source in drafted else "Ordered TKI"


def draft_interaction_findings(
    snapshot: PatientSnapshot,
    draft: DraftOrder,
    session: Sequence[DraftOrder],
    spoken: Sequence[DraftOrder],
    knowledge: Knowledge,
) -> list[Finding]:
    """One finding per draft listing every interaction it takes part in; none when it meets none."""
    if draft.tki is not None:
        hits = _tki_draft_hits(snapshot, draft, session, knowledge)
    else:
        hits = _other_draft_hits(snapshot, draft, session, spoken, knowledge)
    if not hits:
        return []
    avoid = any(row.action == "avoid" for _, _, row, _ in hits)
    detail = [
        f"- **{medication.name}** ({row.drug_class.replace('-', ' ')}) with **{exposure.drug}**: "
        f"{row.action} — {row.text}"
        for medication, exposure, row, _ in hits
    ]
    actions = sorted({row.action for _, _, row, _ in hits})
    if draft.tki is not None:
        partners = sorted({m.name for m, _, _, _ in hits})
        summary = f"Drafted {draft.tki} interacts with {', '.join(partners)}: {'/'.join(actions)}"
        opening = f"The drafted {draft.tki} interacts with medication the patient takes or has drafted:"
    else:
        partners = sorted({e.drug for _, e, _, _ in hits})
        summary = f"Drafted {draft.name} interacts with {', '.join(partners)}: {'/'.join(actions)}"
        opening = f"The drafted {draft.name} interacts with the TKI:"
    evidence: list[Evidence] = []
    drafted = {d.reference for d in session}  # once, not per hit: hits grow with the drafts (issue #25)
    for medication, exposure, _, _ in hits:
        evidence.append(exposure_evidence(exposure, _role(exposure, snapshot, drafted)))
        evidence.append(
            Evidence("Co-medication" if draft.tki else "Drafted drug", medication.name, None, medication.source)
        )
    rows: dict[str, Any] = {}
    for _, _, row, drug_class in hits:
        rows.setdefault(row.id, row)
        rows.setdefault(drug_class.id, drug_class)
    withhold = draft.tki is None and avoid
    return [
        Finding(
            code=FindingCode.DRUG_INTERACTION,
            severity=Severity.WARNING if avoid else Severity.INFO,
            summary=summary,
            rules=tuple(knowledge.rule(row) for row in rows.values()),
            evidence=tuple(dict.fromkeys(evidence)),
            detail=(
                opening,
                *detail,
                "What to do: avoid = do not combine (choose another drug, or follow the label's adjustment if it "
                "cannot be avoided); separate = give the doses hours apart; caution = monitor, and adjust the "
                "dose or check the ECG as the label says.",
            ),
            override_reasons=("Interaction managed (dose, timing or monitoring)", "Benefit outweighs the risk"),
            extra={
                "interactions": [
                    {"drug": m.name, "tki": e.drug, "class": row.drug_class, "action": row.action, "rule": row.id}
                    for m, e, row, _ in hits
                ],
                "actions": actions,
                "withhold": withhold,
            },
        )
    ]
