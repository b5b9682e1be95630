"""Findings at ordering: what a drafted TKI (or a drug drafted beside a TKI) meets in the patient's record.

The same stages and knowledge tables as patient-view, applied to the drafted order instead of the current
TKI: mutations that exclude it (`avoid-tki`), an earlier stop for resistance (`prior-failure`; an earlier
stop for intolerance is said, never called failure), the dose for the situation (`dose-check`),
interactions both ways (`drug-interaction`), comorbidity cautions (`comorbidity-caution`) and a TKI drafted
for a pregnant (or, where the label says "must not", breastfeeding) patient (`pregnancy`, critical, withheld).

Every finding names its draft in `extra["order"]` and the drug in `extra["drug"]`. `extra["withhold"]`
says the draft should not be signed as it stands; `extra["replacementDose"]` gives the dose to sign
instead where it is unambiguous.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec

from ..consolidation import by_urgency
from ..evidence import exposure_evidence, variant_evidence
from ..findings import Finding, FindingCode, RuleRef, Severity
from ..knowledge.loader import Knowledge
from ..knowledge.schema import KnowledgeRow
from ..model import Exclusion, PatientSnapshot, TkiExposure
from ..stages.comorbidity import caution_finding
from ..stages.data_quality import excluded_findings, unavailable_findings
from ..stages.option_lines import option_lines, options_extra
from ..stages.pregnancy import pregnancy_finding
from ..state import ClinicalState
from ..state.history import TkiRecord
from .dose import draft_dose_findings, implausible_dose_finding
from .interactions import draft_interaction_findings
from .orders import DraftOrder

__all__ = ["ordering_data_findings", "ordering_findings"]


def _rule(knowledge: Knowledge, situation: str) -> tuple[RuleRef, ...]:
    """The ordering_rules row for `situation` (none when the table lacks it: the card then cites none)."""
    return tuple(knowledge.rule(row) for row in knowledge.ordering_rules if row.situation == situation)


def _avoid(state: ClinicalState, exposure: TkiExposure, knowledge: Knowledge) -> Finding | None:
    profile = state.mutations
    tki = exposure.drug
    items = profile.avoid.get(tki)
    if not items:
        return None
    reasons = sorted({label for label, _ in items})
    rows: dict[str, KnowledgeRow] = {row.id: row for _, row in items}
    variant_names = {v.name for v, _ in profile.variants}
    mutations = tuple(sorted(label for label in reasons if label in variant_names))
    remaining = state.options.names
    detail = [
        f"**The drafted {tki} is excluded by {', '.join(reasons)}** (Soverini 2026: use mutation results to "
        "exclude ineffective TKIs). Do not sign this order.",
        "TKIs to avoid for this patient: " + ", ".join(profile.avoided) + ".",
        *option_lines(state.options),
    ]
    evidence = [exposure_evidence(exposure, "Drafted TKI")]
    evidence += [
        variant_evidence(v, t) for v, t in profile.variants if v.name in mutations or set(v.components) & set(reasons)
    ]
    return Finding(
        code=FindingCode.AVOID_TKI,
        severity=Severity.CRITICAL,
        summary=f"Do not sign {tki}: excluded by {', '.join(reasons)}",
        rules=tuple(knowledge.rule(row) for row in rows.values()),
        evidence=tuple(evidence),
        detail=tuple(detail),
        avoid=profile.avoided,
        mutations=mutations,
        override_reasons=("Patient in a clinical trial", "Mutation no longer detected"),
        extra={"remaining": list(remaining), **options_extra(state.options), "withhold": True},
    )


def _outside_phase(state: ClinicalState, exposure: TkiExposure, knowledge: Knowledge) -> Finding | None:
    """A drafted TKI that its label does not approve in today's phase (indications.toml): do not sign."""
    outside = [s for s in state.options.reasons(exposure.drug) if s.kind == "phase"]
    if not outside:
        return None
    phase = state.options.phase
    return Finding(
        code=FindingCode.DOSE_CHECK,
        severity=Severity.WARNING,
        summary=f"Do not sign {exposure.drug}: not approved in {phase} phase (label)",
        rules=tuple(knowledge.rule(row) for item in outside for row in item.rows),
        evidence=(
            exposure_evidence(exposure, "Drafted TKI"),
            *(state.phase.current.evidence if state.phase.current else ()),
        ),
        detail=(
            f"The drafted {exposure.drug} has no approved use or dose in {phase} phase.",
            *option_lines(state.options),
        ),
        override_reasons=("Patient in a clinical trial", "Off-label use decided by the specialist team"),
        extra={**options_extra(state.options), "withhold": True},
    )


def _stopped(exposure: TkiExposure) -> str:
    when = f" on {exposure.end.isoformat()}" if exposure.end else ""
    why = f" ({exposure.stop_detail})" if exposure.stop_detail else ""
    return f"stopped{when}{why}"


def _prior_failure(tkis: TkiRecord, exposure: TkiExposure, knowledge: Knowledge) -> Finding | None:
    earlier = [e for e in tkis.resistance_stops if e.drug == exposure.drug]
    if not earlier:
        return None
    stop = earlier[0]
    return Finding(
        code=FindingCode.PRIOR_FAILURE,
        severity=Severity.WARNING,
        summary=f"{exposure.drug} failed before: stopped for resistance"
        + (f" on {stop.end.isoformat()}" if stop.end else ""),
        rules=_rule(knowledge, "prior-failure"),
        evidence=(
            exposure_evidence(exposure, "Drafted TKI"),
            exposure_evidence(stop, "Earlier TKI (stopped for resistance)"),
        ),
        detail=(
            f"The drafted {exposure.drug} was {_stopped(stop)} for **resistance**: the same TKI is not expected "
            "to work again.",
            "Choose among the TKIs the mutation results leave (mutation testing first if none is on record since "
            "the failure).",
        ),
        override_reasons=("Resistance was not confirmed", "Patient in a clinical trial"),
        extra={"stopReason": "resistance", "withhold": True},
    )


def _prior_intolerance(tkis: TkiRecord, exposure: TkiExposure, knowledge: Knowledge) -> Finding | None:
    """Said, not counted as failure: a comorbidity-caution at info level naming the reason recorded."""
    if any(e.drug == exposure.drug for e in tkis.resistance_stops):
        return None
    earlier = [e for e in tkis.intolerance_stops if e.drug == exposure.drug]
    if not earlier:
        return None
    stop = earlier[0]
    return Finding(
        code=FindingCode.COMORBIDITY_CAUTION,
        severity=Severity.INFO,
        summary=f"{exposure.drug} was stopped before for intolerance"
        + (f" ({stop.stop_detail})" if stop.stop_detail else "")
        + ": not a failure",
        rules=_rule(knowledge, "prior-intolerance"),
        evidence=(
            exposure_evidence(exposure, "Drafted TKI"),
            exposure_evidence(stop, "Earlier TKI (stopped for intolerance)"),
        ),
        detail=(
            f"The drafted {exposure.drug} was {_stopped(stop)} for **intolerance**. Intolerance is not failure: "
            "the TKI is not excluded.",
            "Weigh the earlier adverse event; a lower starting dose or closer monitoring may be needed.",
        ),
        override_reasons=("Adverse event discussed with the patient",),
        extra={"tki": exposure.drug, "stopReason": "intolerance"},
    )


def _tki_findings(
    state: ClinicalState, draft: DraftOrder, session: Sequence[DraftOrder], knowledge: Knowledge
) -> list[Finding]:
    snapshot = state.snapshot
    implausible = implausible_dose_finding(state, draft, knowledge)
    if implausible is not None:  # nothing is computed from a dose that cannot be meant
        draft = msgspec.structs.replace(draft, daily_dose_mg=None, doses_per_day=None)
    exposure = draft.as_exposure(snapshot.as_of)
    pregnancy = pregnancy_finding(state, exposure, knowledge)
    if pregnancy is not None and pregnancy.severity is Severity.CRITICAL:
        pregnancy = msgspec.structs.replace(pregnancy, extra={**pregnancy.extra, "withhold": True})
    found: list[Finding | None] = [
        pregnancy,
        _avoid(state, exposure, knowledge),
        _prior_failure(state.tkis, exposure, knowledge),
        _prior_intolerance(state.tkis, exposure, knowledge),
        _outside_phase(state, exposure, knowledge),
    ]
    refused = any(f is not None and f.extra.get("withhold") for f in found)
    if not refused:  # a draft not to be signed at all gets no dose of the same drug to sign instead: one story
        found += [implausible] if implausible is not None else draft_dose_findings(state, exposure, knowledge)
    found += draft_interaction_findings(snapshot, draft, session, (), knowledge)
    found.append(caution_finding(exposure, snapshot, knowledge))
    return [f for f in found if f is not None]


def ordering_findings(
    state: ClinicalState,
    spoken: Sequence[DraftOrder],
    session: Sequence[DraftOrder],
    knowledge: Knowledge,
    checkpoint: Callable[[str], None] | None = None,
) -> list[Finding]:
    """Findings about the drafts in `spoken` (order-select: the selections; order-sign: all), most urgent
    first (critical → warning → info, then framework order, then draft order), as on patient-view.

    `session` is every draft of the ordering session: a drug drafted beside a TKI interacts with it too.
    `checkpoint`, when given, is called before each draft: the caller's deadline and stop (it raises).
    """
    snapshot = state.snapshot
    findings: list[Finding] = []
    for draft in spoken:
        if checkpoint is not None:
            checkpoint("draft orders")
        if draft.tki is not None:
            found = _tki_findings(state, draft, session, knowledge)
        else:
            found = draft_interaction_findings(snapshot, draft, session, spoken, knowledge)
        drug = draft.tki or draft.name
        findings += [
            msgspec.structs.replace(f, extra={**f.extra, "order": draft.reference, "drug": drug}) for f in found
        ]
    return by_urgency(findings)


def ordering_data_findings(snapshot: PatientSnapshot, draft_exclusions: tuple[Exclusion, ...]) -> list[Finding]:
    """What was set aside (records and drafts) and which data did not come: the response is not assessed
    at ordering, so its not-assessable card is patient-view's alone."""
    return excluded_findings(draft_exclusions + snapshot.exclusions) + unavailable_findings(snapshot)
