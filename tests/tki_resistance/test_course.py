"""Stage tests for the course rules (issue #9): each rule fires in one course and not in its neighbour."""

from __future__ import annotations

from datetime import date
from typing import Unpack

from tests.tki_resistance.scenarios import (
    KNOWLEDGE,
    Comparator,
    SnapshotFields,
    StopReason,
    day,
    on,
    result,
    rule_ids,
    state_of,
)
from tki_resistance import PatientSnapshot, TkiExposure, TranscriptResult, assess
from tki_resistance.findings import FindingCode, Severity
from tki_resistance.stages.atypical_transcript import atypical_transcript_findings
from tki_resistance.stages.relapse import relapse_findings
from tki_resistance.stages.response import response_findings
from tki_resistance.stages.sct_referral import sct_referral_findings
from tki_resistance.stages.tfr import tfr_findings
from tki_resistance.state.lines import build_lines, off_treatment, with_lines


def snap(as_of_months: float, **kw: Unpack[SnapshotFields]) -> PatientSnapshot:
    return with_lines(PatientSnapshot("p", day(as_of_months), **kw), KNOWLEDGE)


def record(drug: str, start_m: float, end_m: float | None, mg: float, reason: StopReason | None = None) -> TkiExposure:
    return TkiExposure(
        f"MedicationStatement/{drug}-{start_m}",
        drug,
        day(start_m),
        end=day(end_m) if end_m is not None else None,
        daily_dose_mg=mg,
        active=end_m is None,
        stop_reason=reason,
    )


def undetectable(months: float) -> TranscriptResult:
    return result(months, 0.0032, comparator=Comparator.LESS_THAN)


# --- course.line.interruption ------------------------------------------------------------------------------


def test_same_tki_records_within_the_interruption_limit_form_one_line() -> None:
    gap = KNOWLEDGE.course_rule("line-interruption")
    assert gap is not None and gap.days == 92 and gap.verified is False
    records = (record("imatinib", 0, 6, 400), record("imatinib", 8, None, 300))  # ~61 days off
    [line] = build_lines(records, gap.days)
    assert line.start == day(0) and line.current.start == day(0) and line.current.daily_dose_mg == 300
    assert [(b.daily_dose_mg, a.daily_dose_mg) for b, a in line.dose_changes()] == [(400, 300)]


def test_a_longer_interruption_a_tfr_stop_or_another_tki_starts_a_new_line() -> None:
    long_gap = build_lines((record("imatinib", 0, 6, 400), record("imatinib", 10, None, 400)), 92)
    tfr = build_lines((record("imatinib", 0, 60, 400, StopReason.TFR), record("imatinib", 62, None, 400)), 92)
    switch = build_lines((record("imatinib", 0, 6, 400, StopReason.RESISTANCE), record("dasatinib", 6, None, 100)), 92)
    assert [len(lines) for lines in (long_gap, tfr, switch)] == [2, 2, 2]
    assert tfr[1].after_tfr and not long_gap[1].after_tfr


def test_milestones_count_from_the_line_start_not_the_latest_record() -> None:
    records = (record("imatinib", 0, 6, 400), record("imatinib", 6, None, 300))
    course = snap(12.6, tki_exposures=records, transcripts=(result(12.5, 6.0),))
    [finding] = response_findings(state_of(course, KNOWLEDGE), KNOWLEDGE)
    assert finding.code is FindingCode.MILESTONE_FAILURE and finding.response is not None
    assert finding.response["months"] == 12.5
    assert "course.line.same-tki" in rule_ids([finding]) and finding.verified  # contiguous: no interruption
    interrupted = (record("imatinib", 0, 6, 400), record("imatinib", 7, None, 300))
    [gapped] = response_findings(
        state_of(snap(12.6, tki_exposures=interrupted, transcripts=(result(12.5, 6.0),)), KNOWLEDGE), KNOWLEDGE
    )
    assert "course.line.interruption" in rule_ids([gapped]) and not gapped.verified
    assert any("1 interruption within the 92-day limit" in line for line in gapped.detail)
    unlined = PatientSnapshot("p", day(12.6), tki_exposures=records, transcripts=(result(12.5, 6.0),))
    [old] = response_findings(state_of(unlined, KNOWLEDGE), KNOWLEDGE)
    # #22: the state builds the lines itself, so a snapshot without lines no longer counts from the latest record
    assert old.response == finding.response


# --- course.tfr.loss-of-mmr and course.tfr.failed-attempt ---------------------------------------------------

TFR_LINE = (record("imatinib", 0, 72, 400, StopReason.TFR),)
DEEP = tuple(undetectable(m) for m in range(48, 72, 6))


def test_loss_of_mmr_during_tfr_is_a_critical_relapse_naming_the_tki_and_dose() -> None:
    course = snap(80, tki_exposures=TFR_LINE, transcripts=(*DEEP, undetectable(73), result(78, 0.12), result(79, 0.35)))
    [finding] = relapse_findings(state_of(course, KNOWLEDGE), KNOWLEDGE)
    assert (finding.code, finding.severity) == (FindingCode.RELAPSE, Severity.CRITICAL)
    assert "restart imatinib 400 mg/day within 4 weeks" in finding.summary.lower()  # action first (issue #11)
    assert finding.extra["restart"]["by"] == date.fromordinal(day(78).toordinal() + 28).isoformat()
    assert "course.tfr.loss-of-mmr" in rule_ids([finding])


def test_tfr_in_mmr_gives_no_relapse_and_no_not_assessable_card() -> None:
    course = snap(80, tki_exposures=TFR_LINE, transcripts=(*DEEP, undetectable(73), result(79, 0.05)))
    assert relapse_findings(state_of(course, KNOWLEDGE), KNOWLEDGE) == []
    codes = {f.code for f in assess(course, KNOWLEDGE)}
    assert FindingCode.NOT_ASSESSABLE not in codes and FindingCode.RELAPSE not in codes


def test_a_tfr_goal_with_an_unexplained_stop_counts_as_tfr() -> None:
    plain_stop = (record("imatinib", 0, 72, 400, StopReason.OTHER),)
    results = (*DEEP, result(78, 0.2))
    assert (
        relapse_findings(state_of(snap(80, tki_exposures=plain_stop, transcripts=results), KNOWLEDGE), KNOWLEDGE) == []
    )
    with_goal = snap(80, tki_exposures=plain_stop, transcripts=results, tfr_goal=True)
    [finding] = relapse_findings(state_of(with_goal, KNOWLEDGE), KNOWLEDGE)
    assert finding.code is FindingCode.RELAPSE


def _tfr_eligible_course(*extra: TkiExposure, results: tuple[TranscriptResult, ...] = ()) -> PatientSnapshot:
    from tki_resistance.model import DiseasePhase

    return snap(
        110,
        tki_exposures=(*extra,),
        transcripts=(*tuple(undetectable(m) for m in range(60, 110, 6)), *results),
        phase=DiseasePhase.CHRONIC,
        transcript_type="e14a2",
    )


def test_no_tfr_eligible_after_a_failed_attempt() -> None:
    clean = _tfr_eligible_course(record("imatinib", 0, None, 400))
    assert [f.code for f in tfr_findings(state_of(clean, KNOWLEDGE), KNOWLEDGE)] == [FindingCode.TFR_ELIGIBLE]
    failed = _tfr_eligible_course(record("imatinib", 0, 61, 400, StopReason.TFR), record("imatinib", 62, None, 400))
    assert KNOWLEDGE.course_rule("tfr-failed-attempt") is not None
    assert tfr_findings(state_of(failed, KNOWLEDGE), KNOWLEDGE) == []


# --- transplant: course.sct.* ------------------------------------------------------------------------------

SCT = day(40)
LINES = (
    record("dasatinib", 0, 20, 100, StopReason.RESISTANCE),
    record("nilotinib", 20, 38, 800, StopReason.RESISTANCE),
)


def test_detectable_again_after_negative_results_is_a_relapse_naming_the_transplant() -> None:
    course = snap(70, tki_exposures=LINES, allogeneic_transplant=SCT, transcripts=(undetectable(45), result(69, 0.02)))
    [finding] = relapse_findings(state_of(course, KNOWLEDGE), KNOWLEDGE)
    assert finding.code is FindingCode.RELAPSE and SCT.isoformat() in finding.summary
    assert finding.suggest_service_request and not finding.verified
    assert {"course.sct.molecular-relapse", "course.sct.relapse-treatment"} <= rule_ids([finding])


def test_a_one_log_rise_after_transplant_is_a_relapse_but_a_falling_course_is_not() -> None:
    rising = snap(70, tki_exposures=LINES, allogeneic_transplant=SCT, transcripts=(result(45, 0.5), result(69, 6.0)))
    assert "≥1-log rise" in relapse_findings(state_of(rising, KNOWLEDGE), KNOWLEDGE)[0].summary
    falling = snap(70, tki_exposures=LINES, allogeneic_transplant=SCT, transcripts=(result(43, 5.0), result(46, 0.5)))
    assert relapse_findings(state_of(falling, KNOWLEDGE), KNOWLEDGE) == []
    negative = snap(
        70, tki_exposures=LINES, allogeneic_transplant=SCT, transcripts=(undetectable(45), undetectable(69))
    )
    assert relapse_findings(state_of(negative, KNOWLEDGE), KNOWLEDGE) == []


def test_no_transplant_referral_after_a_transplant() -> None:
    before = snap(39, tki_exposures=LINES)
    assert [f.code for f in sct_referral_findings(state_of(before, KNOWLEDGE), KNOWLEDGE)] == [FindingCode.SCT_REFERRAL]
    after = snap(70, tki_exposures=LINES, allogeneic_transplant=SCT)
    assert sct_referral_findings(state_of(after, KNOWLEDGE), KNOWLEDGE) == []


# --- new diagnosis -----------------------------------------------------------------------------------------


def test_a_new_diagnosis_gets_one_info_card() -> None:
    course = snap(0.5, transcripts=(result(0.2, 45.0),))
    findings = assess(course, KNOWLEDGE)
    assert [(f.code, f.severity) for f in findings] == [(FindingCode.NOT_ASSESSABLE, Severity.INFO)]
    assert findings[0].extra["state"] == "new-diagnosis"


def test_an_ordered_first_tki_is_not_a_new_diagnosis_card() -> None:
    ordered = TkiExposure("MedicationRequest/1", "imatinib", day(0.4), ordered=True, daily_dose_mg=400)
    course = snap(0.5, transcripts=(result(0.2, 45.0),), tki_exposures=(ordered,))
    assert off_treatment(course) is None
    assert relapse_findings(state_of(course, KNOWLEDGE), KNOWLEDGE) == []


# --- atypical transcripts ----------------------------------------------------------------------------------


def test_an_atypical_transcript_gets_its_own_trend_instead_of_a_milestone() -> None:
    results = (result(3, 20.0), result(6, 3.0), result(12, 5.0))
    course = snap(12.2, tki_exposures=(on("imatinib", mg=400),), transcripts=results, transcript_type="e1a2")
    assert response_findings(state_of(course, KNOWLEDGE), KNOWLEDGE) == []
    [card] = atypical_transcript_findings(state_of(course, KNOWLEDGE), KNOWLEDGE)
    assert "e1a2" in card.summary and any("**Rising**" in line for line in card.detail)
    # #23: IS-coded results are no transcript-specific result: the card also says ELN 2020 allows marrow cytogenetics
    assert rule_ids([card]) == {"course.transcript.atypical", "course.transcript.own-scale-no-quantitative"}


def test_a_typical_transcript_beside_an_atypical_one_keeps_the_is_rules() -> None:
    results = (result(3, 20.0), result(6, 3.0), result(12, 5.0))
    course = snap(12.2, tki_exposures=(on("imatinib", mg=400),), transcripts=results, transcript_type="e14a2+e1a2")
    assert atypical_transcript_findings(state_of(course, KNOWLEDGE), KNOWLEDGE) == []
    assert [f.code for f in response_findings(state_of(course, KNOWLEDGE), KNOWLEDGE)] == [
        FindingCode.MILESTONE_FAILURE
    ]


def test_no_restart_card_once_the_restart_is_ordered() -> None:
    order = TkiExposure("MedicationRequest/r", "imatinib", day(79.5), daily_dose_mg=400, ordered=True)
    results = (*DEEP, result(79, 0.35))
    assert relapse_findings(state_of(snap(80, tki_exposures=TFR_LINE, transcripts=results), KNOWLEDGE), KNOWLEDGE)
    assert (
        relapse_findings(
            state_of(snap(80, tki_exposures=(*TFR_LINE, order), transcripts=results), KNOWLEDGE), KNOWLEDGE
        )
        == []
    )


def test_after_transplant_without_a_result_since_says_so() -> None:
    from tki_resistance.stages.data_quality import data_quality_findings

    without = snap(70, tki_exposures=LINES, allogeneic_transplant=SCT, transcripts=(result(30, 5.0),))
    [finding] = data_quality_findings(state_of(without))
    assert "no BCR::ABL1 result since the allogeneic transplant" in finding.summary
    with_result = snap(70, tki_exposures=LINES, allogeneic_transplant=SCT, transcripts=(undetectable(60),))
    assert data_quality_findings(state_of(with_result)) == []
