"""tfr-eligible: each ELN 2020 criterion met and not met; unchecked criteria listed."""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from tki_resistance.knowledge.schema import TfrCriterionRow
from tki_resistance.model import PatientSnapshot
from tki_resistance.stages.tfr import evaluate_tfr, tfr_findings

from .scenarios import KNOWLEDGE, DiseasePhase, StopReason, day, on, result, snapshot, state_of, stopped

MR4_RUN = tuple(result(m, 0.005) for m in range(36, 75, 3))


def _eligible() -> PatientSnapshot:
    return snapshot(
        as_of_months=75,
        transcripts=(result(3, 5.0), result(12, 0.05), *MR4_RUN),
        tki_exposures=(on("imatinib", mg=400),),
        phase=DiseasePhase.CHRONIC,
        transcript_type="e14a2",
    )


NOT_MET = {
    "chronic-phase": lambda s: replace(s, phase=DiseasePhase.ACCELERATED),
    "first-line-or-intolerance": lambda s: replace(
        s, tki_exposures=(stopped("dasatinib", day(-12), day(-1), StopReason.RESISTANCE), *s.tki_exposures)
    ),
    "typical-transcript": lambda s: replace(s, transcript_type="e1a2"),
    "tki-duration": lambda s: replace(
        s, as_of=day(50), transcripts=tuple(t for t in s.transcripts if t.taken <= day(50))
    ),
    "dmr-duration": lambda s: replace(s, transcripts=(*s.transcripts, result(60, 0.05), result(72, 0.005))),
    "no-prior-failure": lambda s: replace(s, transcripts=(result(6, 20.0), *s.transcripts[1:])),
    "optimal-dmr": lambda s: replace(s, transcripts=(*s.transcripts, result(50, 0.05))),
}
CHECKED = [r for r in KNOWLEDGE.tfr_criteria if r.criterion in NOT_MET]


def _status(snap: PatientSnapshot, row_id: str) -> bool | None:
    return next(r.met for r in evaluate_tfr(state_of(snap, KNOWLEDGE), KNOWLEDGE) if r.row.id == row_id)


@pytest.mark.parametrize("row", CHECKED, ids=lambda r: r.id)
def test_criterion_met_and_not_met(row: TfrCriterionRow) -> None:
    assert _status(_eligible(), row.id) is True
    assert _status(NOT_MET[row.criterion](_eligible()), row.id) is False


def test_eligible_patient_gets_one_info_card_listing_unchecked_criteria() -> None:
    [finding] = tfr_findings(state_of(_eligible(), KNOWLEDGE), KNOWLEDGE)
    ids = {r.id for r in finding.rules}
    manual = [r.id for r in KNOWLEDGE.tfr_criteria if r.criterion == "manual" and r.guideline == "ELN 2020"]
    assert set(manual) <= ids and set(manual) == set(finding.extra["unchecked"])
    assert finding.extra["comparison"] == ["tfr.nccn2020.summary"] and finding.extra["optimal"]


@pytest.mark.parametrize("criterion", sorted(set(NOT_MET) - {"optimal-dmr"}))
def test_a_failed_minimal_criterion_gives_no_card(criterion: str) -> None:
    assert tfr_findings(state_of(NOT_MET[criterion](_eligible()), KNOWLEDGE), KNOWLEDGE) == []


def test_missing_the_optimal_tier_still_gives_the_card_without_the_recommendation() -> None:
    """The optimal tier only upgrades "stop allowed" to "stop recommended for consideration"."""
    short_run = (*(result(m, 0.05) for m in range(36, 45, 3)), *(result(m, 0.005) for m in range(45, 75, 3)))
    patient = replace(_eligible(), transcripts=(result(3, 5.0), result(12, 0.05), *short_run))  # MR4 for 2.3 y
    [finding] = tfr_findings(state_of(patient, KNOWLEDGE), KNOWLEDGE)
    assert finding.extra["optimal"] is False
    assert finding.extra["optimal"] != tfr_findings(state_of(_eligible(), KNOWLEDGE), KNOWLEDGE)[0].extra["optimal"]
    assert not any("optimal criteria also met" in line for line in finding.detail)


def test_unknown_transcript_type_is_listed_as_not_checkable() -> None:
    [finding] = tfr_findings(state_of(replace(_eligible(), transcript_type=None), KNOWLEDGE), KNOWLEDGE)
    assert "tfr.eln2020.transcript" in finding.extra["unchecked"]
