"""ELN 2020 failure at any time beyond BCR::ABL1 (`milestone-failure`): resistance mutations, high-risk ACAs.

The ELN 2020 table lists, at any time, ">1%; resistance mutations; high-risk ACA" as failure. The BCR::ABL1
part is the milestone stage's (response.py). This stage adds a failure only when that stage shows none,
and only for what was found *on* the current TKI: a kinase-domain mutation that excludes it, from a test
taken since its start; a high-risk ACA in a karyotype taken since its start and still within its evidence
window. A major-route ACA that already makes the phase accelerated is left to the advanced-phase card.
"""

from __future__ import annotations

from datetime import date

from ..evidence import exposure_evidence, variant_evidence
from ..findings import Evidence, Finding, FindingCode, ResponseCategory, Severity, fit
from ..knowledge.loader import Knowledge
from ..knowledge.schema import AnyTimeFailureRow
from ..model import PatientSnapshot, TkiExposure, months_between
from .advanced_phase import assess_phase
from .avoid_tki import mutation_profile
from .response import line_assessment

__all__ = ["any_time_failure_findings"]


def _mutation(
    snapshot: PatientSnapshot, exposure: TkiExposure, start: date, knowledge: Knowledge
) -> tuple[str, list[Evidence]] | None:
    profile = mutation_profile(snapshot, knowledge)
    labels = {label for label, _ in profile.avoid.get(exposure.drug, [])}
    found = [
        (variant, test)
        for variant, test in profile.variants
        if test.taken >= start and (variant.name in labels or labels & set(variant.components))
    ]
    if not found:
        return None
    names = ", ".join(sorted({v.name for v, _ in found}))
    return f"{names} found on {exposure.drug}, which it makes ineffective", [variant_evidence(v, t) for v, t in found]


def _aca(
    snapshot: PatientSnapshot, row: AnyTimeFailureRow, start: date, knowledge: Knowledge
) -> tuple[str, list[Evidence]] | None:
    taken = snapshot.karyotype_date
    found = sorted(set(row.abnormalities) & set(snapshot.chromosomal_abnormalities))
    if not found or taken is None or taken < start:
        return None  # undated: cannot show it arose on this TKI
    window = next((w for w in knowledge.evidence_windows if w.evidence == "karyotype"), None)
    if window is not None and (snapshot.as_of - taken).days > window.max_age_days:
        return None
    evidence = Evidence("High-risk ACA on treatment", ", ".join(found), taken.isoformat(), snapshot.karyotype_source)
    return f"high-risk ACA {', '.join(found)} on treatment", [evidence]


def any_time_failure_findings(snapshot: PatientSnapshot, knowledge: Knowledge) -> list[Finding]:
    exposure = snapshot.current_tki
    if exposure is None or exposure.start is None:
        return []
    start = exposure.start
    assessment = line_assessment(snapshot, knowledge)  # None with an atypical transcript: no milestone card
    if assessment is not None and assessment.category is ResponseCategory.FAILURE:
        return []  # the milestone card already calls it a failure
    advanced = assess_phase(snapshot, knowledge) is not None
    met: list[tuple[AnyTimeFailureRow, str, list[Evidence]]] = []
    for row in knowledge.any_time_failure:
        if row.criterion == "resistance-mutation":
            hit = _mutation(snapshot, exposure, start, knowledge)
        else:
            hit = None if advanced else _aca(snapshot, row, start, knowledge)
        if hit is not None:
            met.append((row, *hit))
    if not met:
        return []
    months = round(months_between(start, snapshot.as_of), 1)
    reasons = "; ".join(reason for _, reason, _ in met)
    response: dict[str, object] = {"eln": "failure", "months": months}
    if assessment is not None:
        response["bcrAbl1IS"] = assessment.result.percent_is
    return [
        Finding(
            code=FindingCode.MILESTONE_FAILURE,
            severity=Severity.WARNING,
            summary=fit(
                f"Change TKI: ELN 2020 failure on {exposure.drug} at any time, {reasons}",
                f"Change TKI: ELN 2020 failure on {exposure.drug} at any time",
            ),
            action="Change treatment (ELN 2020), once non-adherence and interactions are excluded.",
            rules=tuple(knowledge.rule(row) for row, _, _ in met),
            evidence=(exposure_evidence(exposure), *(e for _, _, ev in met for e in ev)),
            detail=(
                *(row.text for row, _, _ in met),
                "The BCR::ABL1 result alone does not show a failure; ELN 2020 counts these findings as failure at "
                "any time.",
            ),
            response=response,
            override_reasons=("Result already discussed", "Patient in a clinical trial"),
            extra={"anyTime": [row.criterion for row, _, _ in met]},
        )
    ]
