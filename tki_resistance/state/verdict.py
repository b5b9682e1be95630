"""One ELN 2020 verdict for the current line: the milestones and the any-time criteria together.

ELN 2020 lists, at any time, ">1%; resistance mutations; high-risk ACA" as failure. The milestones
(milestones.py) judge BCR::ABL1; this module adds a detected kinase-domain mutation that excludes the
current TKI (found on it, or on record before it was started while the response is not optimal), a high-risk
ACA in a karyotype taken since its start and still within its evidence window, and a high-risk ACA present at
diagnosis (a warning). The
verdict is the worst of them: exactly one per line, which every card of the call reads.
"""

from __future__ import annotations

from datetime import date

import msgspec

from ..evidence import variant_evidence
from ..findings import Evidence, ResponseCategory
from ..knowledge.loader import Knowledge
from ..knowledge.schema import AnyTimeFailureRow
from ..model import PatientSnapshot, TkiExposure, months_between
from .milestones import MilestoneAssessment, assess_milestones
from .mutations import MutationProfile

__all__ = ["AnyTimeCriterion", "LineVerdict", "line_verdict"]

_RANK = {ResponseCategory.OPTIMAL: 0, ResponseCategory.WARNING: 1, ResponseCategory.FAILURE: 2}


class AnyTimeCriterion(msgspec.Struct, frozen=True, gc=False):
    """An any-time criterion met on this line: the row, what it makes the line, why, and its data points."""

    row: AnyTimeFailureRow
    category: ResponseCategory
    reason: str
    evidence: tuple[Evidence, ...]


class LineVerdict(msgspec.Struct, frozen=True, gc=False):
    """The current line's ELN 2020 category, with the milestone assessment and the any-time criteria."""

    drug: str
    category: ResponseCategory
    months: float
    milestone: MilestoneAssessment | None
    any_time: tuple[AnyTimeCriterion, ...] = ()

    @property
    def failure(self) -> bool:
        return self.category is ResponseCategory.FAILURE

    @property
    def by_milestone(self) -> bool:
        """The milestone assessment alone gives the verdict's category."""
        return self.milestone is not None and self.milestone.category is self.category


def _mutation(
    profile: MutationProfile, exposure: TkiExposure, start: date, responding: bool
) -> tuple[str, tuple[Evidence, ...]] | None:
    """A detected mutation that excludes the current TKI: found on it; or on record before it was started
    while the response on it is not optimal (the clone explains it). A patient responding optimally despite
    an older result is not called a failure."""
    labels = {label for label, _ in profile.avoid.get(exposure.drug, [])}
    found = [
        (variant, test)
        for variant, test in profile.variants
        if variant.name in labels or labels & set(variant.components)
    ]
    if not found:
        return None
    names = ", ".join(sorted({v.name for v, _ in found}))
    if all(test.taken < start for _, test in found):
        if responding:
            return None
        reason = f"{names} on record before {exposure.drug} was started, which it makes ineffective"
    else:
        reason = f"{names} found on {exposure.drug}, which it makes ineffective"
    return reason, tuple(variant_evidence(v, t) for v, t in found)


def _fresh_karyotype(snapshot: PatientSnapshot, knowledge: Knowledge) -> bool:
    taken = snapshot.karyotype_date
    window = knowledge.evidence_window("karyotype")
    return taken is not None and (window is None or (snapshot.as_of - taken).days <= window.max_age_days)


def _aca(
    snapshot: PatientSnapshot, row: AnyTimeFailureRow, first_start: date | None, start: date, knowledge: Knowledge
) -> tuple[str, tuple[Evidence, ...]] | None:
    """A high-risk ACA on this line (row `when` on-treatment) or at diagnosis, before any TKI (at-diagnosis)."""
    taken = snapshot.karyotype_date
    found = sorted(set(row.abnormalities) & set(snapshot.chromosomal_abnormalities))
    if not found or taken is None:
        return None  # undated: cannot show when it arose
    names = ", ".join(found)
    if row.when == "at-diagnosis":
        if first_start is None or taken > first_start:
            return None
        evidence = Evidence("High-risk ACA at diagnosis", names, taken.isoformat(), snapshot.karyotype_source)
        return f"high-risk ACA {names} at diagnosis", (evidence,)
    if taken < start or not _fresh_karyotype(snapshot, knowledge):
        return None
    evidence = Evidence("High-risk ACA on treatment", names, taken.isoformat(), snapshot.karyotype_source)
    return f"high-risk ACA {names} on treatment", (evidence,)


def line_verdict(snapshot: PatientSnapshot, profile: MutationProfile, knowledge: Knowledge) -> LineVerdict | None:
    """The current line's verdict; None without a current TKI or with nothing to judge yet.

    With an atypical transcript the IS milestones do not apply (course row `atypical-transcript`): only
    the any-time criteria judge the line.
    """
    exposure = snapshot.current_tki
    if exposure is None or exposure.start is None:
        return None
    start = exposure.start
    milestone = None
    if snapshot.atypical_transcript is None:
        milestone = assess_milestones(exposure, snapshot.transcripts, knowledge.milestones)
    starts = [line.start for line in snapshot.lines or () if line.start is not None]
    first_start = min(starts, default=start)
    met: list[AnyTimeCriterion] = []
    for row in knowledge.any_time_failure:
        if row.criterion == "resistance-mutation":
            responding = milestone is None or milestone.category is ResponseCategory.OPTIMAL
            hit = _mutation(profile, exposure, start, responding)
        else:
            hit = _aca(snapshot, row, first_start, start, knowledge)
        if hit is not None:
            met.append(AnyTimeCriterion(row, ResponseCategory(row.response), *hit))
    if milestone is None and not met:
        return None
    categories = [c.category for c in met] + ([milestone.category] if milestone is not None else [])
    category = max(categories, key=_RANK.__getitem__)
    months = milestone.months_on_drug if milestone is not None else months_between(start, snapshot.as_of)
    return LineVerdict(exposure.drug, category, round(months, 1), milestone, tuple(met))
