"""ELN 2020 milestones on the current TKI: boundaries, windows, confirmation, loss of MMR."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.tki_resistance.scenarios import state_of
from tki_resistance import PatientSnapshot, TkiExposure, TranscriptResult, default_knowledge
from tki_resistance.findings import FindingCode
from tki_resistance.model import Comparator
from tki_resistance.stages.response import response_findings
from tki_resistance.state.milestones import assess_history, assess_milestones, milestone_in_force

START = date(2025, 1, 1)
KNOWLEDGE = default_knowledge()
IMATINIB = TkiExposure(source="MedicationStatement/1", drug="imatinib", start=START, daily_dose_mg=400)


def at(months: float, value: float, comparator: Comparator = Comparator.EQUAL) -> TranscriptResult:
    taken = START + timedelta(days=round(months * 365.25 / 12))
    return TranscriptResult(
        source=f"Observation/{months}-{value}", taken=taken, percent_is=value, comparator=comparator
    )


def category(*results: TranscriptResult) -> str | None:
    assessment = assess_milestones(IMATINIB, results, KNOWLEDGE.milestones)
    return None if assessment is None else assessment.category.value


@pytest.mark.parametrize(
    ("months", "value", "expected"),
    [
        (3, 10.0, "optimal"),
        (3, 10.01, "warning"),
        (6, 1.0, "optimal"),
        (6, 1.01, "warning"),
        (6, 10.0, "warning"),
        (6, 10.01, "failure"),
        (12, 0.1, "optimal"),
        (12, 0.11, "warning"),
        (12, 1.0, "warning"),
        (12, 1.01, "failure"),
        (24, 0.1, "optimal"),
        (24, 0.5, "warning"),
        (24, 1.5, "failure"),
    ],
)
def test_eln_2020_boundaries(months: int, value: float, expected: str) -> None:
    assert category(at(months, value)) == expected


def test_a_sample_two_days_before_the_milestone_counts_toward_it() -> None:
    early = TranscriptResult("Observation/e", START + timedelta(days=181), 12.0)  # 6 months = day 183
    assert milestone_in_force(START, early.taken) == 6
    assert category(early) == "failure"


def test_before_the_3_month_window_nothing_is_classified() -> None:
    assert category(at(1, 60.0)) is None


def test_3_month_warning_confirmed_within_the_3_month_window_is_failure() -> None:
    assessment = assess_milestones(IMATINIB, (at(2.6, 12.0), at(3.9, 11.0)), KNOWLEDGE.milestones)
    assert assessment is not None
    assert assessment.category.value == "failure"
    assert assessment.row.id == "eln2020.m3.failure-confirmed"
    assert assessment.confirmed_by is not None and assessment.confirmed_by.percent_is == 12.0


def test_a_repeat_in_the_6_month_window_is_judged_by_the_6_month_band_and_also_confirms() -> None:
    # Issue #9: the repeat at 5 months falls in the 6-month window (from 6 weeks before): the 6-month band
    # decides (>10% is failure there), and the earlier >10% at 3 months is named as confirmed too.
    assessment = assess_milestones(IMATINIB, (at(3, 12.0), at(5, 11.0)), KNOWLEDGE.milestones)
    assert assessment is not None
    assert assessment.category.value == "failure"
    assert (assessment.milestone, assessment.row.id) == (6, "eln2020.m6.failure")
    assert assessment.confirm_row is not None and assessment.confirm_row.id == "eln2020.m3.failure-confirmed"
    assert assessment.confirmed_by is not None and assessment.confirmed_by.percent_is == 12.0


def test_a_6_1_month_result_gets_the_6_month_nccn_colour_not_the_3_month_one() -> None:
    snap = PatientSnapshot("p", at(6.2, 0).taken, transcripts=(at(3, 18.0), at(6.1, 14.5)), tki_exposures=(IMATINIB,))
    [finding] = response_findings(state_of(snap, KNOWLEDGE), KNOWLEDGE)
    assert finding.response is not None and finding.response["eln"] == "failure"
    assert {entry["rule"] for entry in finding.extra["nccn"]} == {"nccn2024.m6.red"}
    assert "(6-month milestone)" in finding.summary and "3 months, confirmed" not in finding.summary


def test_a_rise_is_called_a_rise_and_the_halving_time_is_not_shown_late() -> None:
    results = (at(12, 0.05), at(18, 0.3), at(29, 3.0))
    [finding] = response_findings(
        state_of(PatientSnapshot("p", at(29.2, 0).taken, transcripts=results, tki_exposures=(IMATINIB,)), KNOWLEDGE),
        KNOWLEDGE,
    )
    text = " ".join(finding.detail)
    assert "-log rise from the first result on this line" in text and "-1." not in text
    assert "halving time" not in text


def test_the_halving_time_is_shown_in_the_first_months() -> None:
    [finding] = response_findings(
        state_of(
            PatientSnapshot("p", at(3.1, 0).taken, transcripts=(at(0, 50.0), at(3, 15.0)), tki_exposures=(IMATINIB,)),
            KNOWLEDGE,
        ),
        KNOWLEDGE,
    )
    assert "halving time" in " ".join(finding.detail)


def test_a_log_rise_in_deep_response_is_noise_below_the_assay_floor() -> None:
    deep = (at(24, 0.0008), at(27, 0.009))  # MR4.5 → MR4: >10-fold, but at or below 0.01%
    snap = PatientSnapshot("p", at(27.1, 0).taken, transcripts=deep, tki_exposures=(IMATINIB,))
    assert response_findings(state_of(snap, KNOWLEDGE), KNOWLEDGE) == []
    from tki_resistance.stages.extrinsic_causes import response_problem

    assert response_problem(state_of(snap, KNOWLEDGE), KNOWLEDGE) is None
    risen = PatientSnapshot(
        "p", at(27.1, 0).taken, transcripts=(at(24, 0.0008), at(27, 0.02)), tki_exposures=(IMATINIB,)
    )
    assert response_problem(state_of(risen, KNOWLEDGE), KNOWLEDGE) == "≥1-log rise in BCR::ABL1"


def test_3_month_value_above_10_unconfirmed_is_warning() -> None:
    assert category(at(3, 12.0)) == "warning"


def test_loss_of_mmr_before_12_months_is_a_warning() -> None:
    assessment = assess_milestones(IMATINIB, (at(6, 0.05), at(9, 0.5)), KNOWLEDGE.milestones)
    assert assessment is not None and assessment.loss_of_mmr
    assert assessment.category.value == "warning"


def test_results_before_the_current_tki_do_not_count() -> None:
    before = TranscriptResult("Observation/old", START - timedelta(days=30), 50.0)
    assert category(before) is None


def test_undetectable_below_the_optimal_bound_is_optimal_but_a_vague_bound_is_not_used() -> None:
    assert category(at(12, 0.0032, Comparator.LESS_THAN)) == "optimal"
    assert category(at(12, 5.0, Comparator.LESS_THAN)) is None


def test_finding_names_the_value_date_drug_and_rule() -> None:
    result = at(12, 2.0)
    snapshot = PatientSnapshot("p", START + timedelta(days=400), transcripts=(result,), tki_exposures=(IMATINIB,))
    [finding] = response_findings(state_of(snapshot, KNOWLEDGE), KNOWLEDGE)
    assert finding.code is FindingCode.MILESTONE_FAILURE
    assert finding.response == {"eln": "failure", "months": 12.0, "bcrAbl1IS": 2.0}
    assert finding.rules[0].id == "eln2020.m12.failure" and finding.rules[0].verified
    values = {e.label: (e.value, e.date) for e in finding.evidence}
    assert values["BCR::ABL1 (IS)"] == ("2% IS", result.taken.isoformat())
    assert values["Current TKI"] == ("imatinib 400 mg/day", START.isoformat())


def test_optimal_gives_no_finding() -> None:
    snapshot = PatientSnapshot("p", START, transcripts=(at(12, 0.05),), tki_exposures=(IMATINIB,))
    assert response_findings(state_of(snapshot, KNOWLEDGE), KNOWLEDGE) == []


def test_history_in_one_pass_equals_assessing_every_prefix() -> None:
    """`assess_history` is the linear form of calling `assess_milestones` on each prefix of the results."""
    values = [60.0, 15.0, 12.0, 11.0, 4.0, 0.9, 0.08, 0.05, 0.3, 0.02, 2.0, 1.5, 0.0032, 0.4]
    results = tuple(
        at(1 + i * 1.4, v, Comparator.LESS_THAN if v == 0.0032 else Comparator.EQUAL) for i, v in enumerate(values)
    )
    history = assess_history(IMATINIB, results, KNOWLEDGE.milestones)
    assert [r for r, _ in history] == sorted(results, key=lambda r: r.taken)
    for index, (_, assessment) in enumerate(history):
        assert assessment == assess_milestones(IMATINIB, results[: index + 1], KNOWLEDGE.milestones)
    assert {a.category.value for _, a in history if a is not None} == {"optimal", "warning", "failure"}


def test_two_results_above_1pct_are_called_a_loss_of_mmr_only_after_mmr() -> None:
    """Primary failure (never in MMR) must not be described as 'confirmed loss of MMR'."""
    never = PatientSnapshot(
        "p", START + timedelta(days=500), transcripts=(at(12, 5.0), at(14, 4.0)), tki_exposures=(IMATINIB,)
    )
    lost = PatientSnapshot(
        "p",
        START + timedelta(days=600),
        transcripts=(at(12, 0.05), at(15, 3.0), at(17, 4.0)),
        tki_exposures=(IMATINIB,),
    )
    [primary] = response_findings(state_of(never, KNOWLEDGE), KNOWLEDGE)
    [secondary] = response_findings(state_of(lost, KNOWLEDGE), KNOWLEDGE)
    assert not any("loss of MMR'" in line for line in primary.detail)
    assert any("confirmed loss of MMR" in line for line in secondary.detail)
