"""ELN 2020 milestones on the current TKI: boundaries, windows, confirmation, loss of MMR."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tki_resistance import PatientSnapshot, TkiExposure, TranscriptResult, default_knowledge
from tki_resistance.findings import FindingCode
from tki_resistance.model import Comparator
from tki_resistance.response import assess_history, assess_milestones, milestone_in_force, response_findings

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


def test_3_month_warning_confirmed_1_to_3_months_later_is_failure() -> None:
    assessment = assess_milestones(IMATINIB, (at(3, 12.0), at(5, 11.0)), KNOWLEDGE.milestones)
    assert assessment is not None
    assert assessment.category.value == "failure"
    assert assessment.row.id == "eln2020.m3.failure-confirmed"
    assert assessment.confirmed_by is not None and assessment.confirmed_by.percent_is == 12.0


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
    [finding] = response_findings(snapshot, KNOWLEDGE)
    assert finding.code is FindingCode.MILESTONE_FAILURE
    assert finding.response == {"eln": "failure", "months": 12.0, "bcrAbl1IS": 2.0}
    assert finding.rules[0].id == "eln2020.m12.failure" and finding.rules[0].verified
    values = {e.label: (e.value, e.date) for e in finding.evidence}
    assert values["BCR::ABL1 (IS)"] == ("2% IS", result.taken.isoformat())
    assert values["Current TKI"] == ("imatinib 400 mg/day", START.isoformat())


def test_optimal_gives_no_finding() -> None:
    snapshot = PatientSnapshot("p", START, transcripts=(at(12, 0.05),), tki_exposures=(IMATINIB,))
    assert response_findings(snapshot, KNOWLEDGE) == []


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
    [primary] = response_findings(never, KNOWLEDGE)
    [secondary] = response_findings(lost, KNOWLEDGE)
    assert not any("loss of MMR'" in line for line in primary.detail)
    assert any("confirmed loss of MMR" in line for line in secondary.detail)
