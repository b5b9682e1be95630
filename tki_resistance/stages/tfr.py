"""Treatment-free remission: ELN 2020 criteria from the record (`tfr-eligible`).

The card appears when every ELN 2020 mandatory and minimal criterion the record can show is met; it
names the criteria that could not be checked (patient motivation, laboratory quality, monitoring
agreement, and any the record lacks, e.g. the transcript type).
"""

from __future__ import annotations

from datetime import date

import msgspec

from ..evidence import exposure_evidence, transcript_evidence
from ..findings import Evidence, Finding, FindingCode, ResponseCategory, Severity, fit
from ..knowledge.loader import Knowledge
from ..knowledge.schema import TfrCriterionRow
from ..model import DiseasePhase, PatientSnapshot, StopReason, TranscriptResult
from ..state import ClinicalState
from ..state.history import SECOND_GENERATION
from ..state.kinetics import latest_result
from ..state.lines import failed_tfr_attempt
from ..state.milestones import MMR_PERCENT
from ..state.response_levels import is_at_least, molecular_level

__all__ = ["CriterionResult", "deep_response_since", "evaluate_tfr", "tfr_findings"]

_DAYS_PER_YEAR = 365.25


class CriterionResult(msgspec.Struct, frozen=True, gc=False):
    row: TfrCriterionRow
    met: bool | None  # None: could not be checked from the record
    why: str


def deep_response_since(snapshot: PatientSnapshot, knowledge: Knowledge, level: str) -> TranscriptResult | None:
    """The first result of the unbroken run of results at `level` or deeper that ends with the latest one."""
    results = snapshot.transcripts  # the decision series, in date order
    run_start: TranscriptResult | None = None
    for result in reversed(results):  # only the run that ends with the latest result matters
        if not is_at_least(molecular_level(result, knowledge.response_levels), level):
            break
        run_start = result
    return run_start


def _years(start: date, end: date) -> float:
    return (end - start).days / _DAYS_PER_YEAR


def _chronic_phase(row: TfrCriterionRow, state: ClinicalState) -> CriterionResult:
    """TFR only in first chronic phase: an accelerated or blast phase at any time rules it out."""
    history, snapshot = state.phase, state.snapshot
    if history.ever_advanced:
        shown = history.current.phase if history.current else None
        recorded = snapshot.phase.value if snapshot.phase is not DiseasePhase.CHRONIC else None
        phase = shown or recorded or history.at_diagnosis.value
        return CriterionResult(row, False, f"{phase} phase on record: TFR is for first chronic phase only")
    if snapshot.phase is DiseasePhase.CHRONIC:
        return CriterionResult(row, True, "chronic phase recorded")
    return CriterionResult(row, None, "phase not recorded")


def _check(row: TfrCriterionRow, state: ClinicalState, knowledge: Knowledge) -> CriterionResult:
    snapshot = state.snapshot
    current = snapshot.current_tki
    key = row.criterion
    if key == "manual":
        return CriterionResult(row, None, "cannot be read from the record")
    if key == "chronic-phase":
        return _chronic_phase(row, state)
    if key == "first-line-or-intolerance":
        prior = state.tkis.prior
        drugs = {e.drug for e in prior}
        if not prior:
            return CriterionResult(row, True, "first-line TKI")
        if any(e.stop_reason is StopReason.RESISTANCE for e in prior):
            return CriterionResult(row, False, "an earlier TKI was stopped for resistance")
        if len(drugs) == 1 and all(e.stop_reason is StopReason.INTOLERANCE for e in prior):
            return CriterionResult(row, True, "second line after intolerance only")
        if len(drugs) > 1:
            return CriterionResult(row, False, f"{len(drugs) + 1} lines of therapy")
        return CriterionResult(row, None, "the reason the earlier TKI was stopped is not recorded")
    if key == "typical-transcript":
        if snapshot.transcript_type is None:
            return CriterionResult(row, None, "transcript type not recorded")
        ok = snapshot.atypical_transcript is None
        return CriterionResult(row, ok, f"transcript {snapshot.transcript_type}")
    if key == "tki-duration":
        starts = [e.start for e in snapshot.tki_exposures if e.start is not None and not e.ordered]
        if not starts:
            return CriterionResult(row, None, "TKI start not recorded")
        years = _years(min(starts), snapshot.as_of)
        needed = 4.0 if current is not None and current.drug in SECOND_GENERATION else row.years or 5.0
        return CriterionResult(row, years > needed, f"{years:.1f} years on TKI (needs >{needed:g})")
    if key == "dmr-duration":
        latest = latest_result(snapshot.transcripts)
        since = deep_response_since(snapshot, knowledge, "MR4")
        if since is None or latest is None:
            return CriterionResult(row, False, "latest result not MR4 or deeper")
        years = _years(since.taken, latest.taken)
        return CriterionResult(
            row, years > (row.years or 2.0), f"MR4 or deeper for {years:.1f} years since {since.taken}"
        )
    if key == "no-prior-failure":
        if any(e.stop_reason is StopReason.RESISTANCE for e in snapshot.tki_exposures):
            return CriterionResult(row, False, "a TKI was stopped for resistance")
        if state.verdict is not None and state.verdict.failure:
            return CriterionResult(row, False, "ELN 2020 failure on the current line")
        for _, assessment in state.history:
            if assessment is not None and assessment.category is ResponseCategory.FAILURE:
                return CriterionResult(row, False, f"ELN failure on {assessment.result.taken}")
        return CriterionResult(row, True, "no failure on record")
    if key == "optimal-dmr":
        latest = latest_result(snapshot.transcripts)
        mr4 = deep_response_since(snapshot, knowledge, "MR4")
        mr45 = deep_response_since(snapshot, knowledge, "MR4.5")
        if latest is None:
            return CriterionResult(row, False, "no results")
        ok = (mr4 is not None and _years(mr4.taken, latest.taken) > 3) or (
            mr45 is not None and _years(mr45.taken, latest.taken) > 2
        )
        return CriterionResult(
            row, ok, "MR4 >3 years or MR4.5 >2 years" if ok else "not yet the optimal depth/duration"
        )
    return CriterionResult(row, None, f"criterion {key!r} not evaluated")


_REQUIRED_TIERS = ("mandatory", "minimal")
#: Criteria that read the whole result history go last, so a patient who fails a cheap criterion
#: (phase, line of therapy, years on TKI) never pays for them.
_COSTLY = frozenset({"dmr-duration", "no-prior-failure", "optimal-dmr"})


def _eln_rows(knowledge: Knowledge) -> list[TfrCriterionRow]:
    rows = [row for row in knowledge.tfr_criteria if row.guideline == "ELN 2020"]
    return sorted(rows, key=lambda row: (row.tier not in _REQUIRED_TIERS, row.criterion in _COSTLY))


def evaluate_tfr(state: ClinicalState, knowledge: Knowledge) -> list[CriterionResult]:
    """Every ELN 2020 criterion, checked against the record (for the card and for review)."""
    return [_check(row, state, knowledge) for row in _eln_rows(knowledge)]


def _evaluate_until_unmet(state: ClinicalState, knowledge: Knowledge) -> list[CriterionResult] | None:
    """Like `evaluate_tfr`, but None as soon as a required criterion is not met."""
    results: list[CriterionResult] = []
    for row in _eln_rows(knowledge):
        result = _check(row, state, knowledge)
        if result.met is False and row.tier in _REQUIRED_TIERS:
            return None
        results.append(result)
    return results


def _summary(drug: str, since: TranscriptResult | None, latest: TranscriptResult | None, unchecked: int) -> str:
    years = f", MR4 for {_years(since.taken, latest.taken):.1f} years" if since and latest else ""
    check = f" ({unchecked} to check with the patient)" if unchecked else ""
    return fit(
        f"Discuss stopping {drug} (TFR): ELN 2020 minimal criteria met{years}{check}",
        f"Discuss stopping {drug} (TFR): ELN 2020 minimal criteria met",
    )


def tfr_findings(state: ClinicalState, knowledge: Knowledge) -> list[Finding]:
    snapshot = state.snapshot
    current = snapshot.current_tki
    if current is None or not snapshot.transcripts:
        return []
    if knowledge.course_rule("tfr-failed-attempt") is not None and failed_tfr_attempt(snapshot, MMR_PERCENT):
        return []  # during or after a failed attempt: a further one is a specialist decision
    results = _evaluate_until_unmet(state, knowledge)
    if results is None:
        return []
    required = [r for r in results if r.row.tier in _REQUIRED_TIERS]
    unchecked = [r for r in required if r.met is None]
    optimal = [r for r in results if r.row.tier == "optimal" and r.met]
    detail = ["ELN 2020 minimal criteria for stopping the TKI met in the record: "]
    detail[0] += "; ".join(r.why for r in required if r.met) + "."
    if unchecked:
        detail.append(
            "Could not be checked from the record: "
            + "; ".join(r.row.text + ("" if r.row.criterion == "manual" else f" ({r.why})") for r in unchecked)
            + "."
        )
    if optimal:
        detail.append("ELN 2020 optimal criteria also met: stopping is recommended for consideration.")
    comparison = [row for row in knowledge.tfr_criteria if row.guideline != "ELN 2020"]
    detail += [f"For comparison, {row.guideline}: {row.text.removeprefix(row.guideline + ': ')}" for row in comparison]
    since = deep_response_since(snapshot, knowledge, "MR4")
    evidence: list[Evidence] = [exposure_evidence(current)]
    if since is not None:
        evidence.append(transcript_evidence(since, "First result of the current MR4 run"))
    latest = latest_result(snapshot.transcripts)
    if latest is not None:
        evidence.append(transcript_evidence(latest, "Latest BCR::ABL1 (IS)"))
    return [
        Finding(
            code=FindingCode.TFR_ELIGIBLE,
            severity=Severity.INFO,
            summary=_summary(current.drug, since, latest, len(unchecked)),
            action="Discuss TFR with the patient. If stopped: qPCR monthly for 6 months, every 2 months for months "
            "7–12, then every 3 months; restart the TKI within 4 weeks of a loss of MMR.",
            rules=tuple(knowledge.rule(r.row) for r in results if r.met or r.met is None),
            evidence=tuple(evidence),
            detail=tuple(detail),
            override_reasons=("TFR already discussed", "Patient prefers to continue"),
            extra={
                "unchecked": [r.row.id for r in unchecked],
                "optimal": bool(optimal),
                "comparison": [row.id for row in comparison],
                "criteria": [{"rule": r.row.id, "met": r.met, "why": r.why} for r in results],
            },
        )
    ]
