"""An atypical transcript on its own scale, and a TKI missing from the record (issue #23, items 2 and 6).

Each rule fires and does not: the own series and its trend (state/own_scale.py), mutation testing on a
≥1-log rise to the feasible level, the cytogenetic-monitoring line without a quantitative result, and the one
card for a patient with no TKI recorded whose results fell by a log.
"""

from __future__ import annotations

from msgspec.structs import replace

from tki_resistance.findings import FindingCode, Severity
from tki_resistance.model import Comparator, PatientSnapshot
from tki_resistance.pipeline import assess
from tki_resistance.stages.atypical_transcript import atypical_transcript_findings
from tki_resistance.stages.data_quality import data_quality_findings
from tki_resistance.stages.mutation_testing import mutation_testing_findings
from tki_resistance.stages.relapse import relapse_findings
from tki_resistance.stages.response import response_findings
from tki_resistance.state.own_scale import own_scale_series

from .scenarios import KNOWLEDGE, START, day, kd_test, on, own, result, rule_ids, snapshot, state_of

UNDETECTABLE = Comparator.LESS_THAN


def _e1a2(as_of: float, *results: tuple[float, float], drug: str = "dasatinib") -> PatientSnapshot:
    return snapshot(
        as_of,
        own_scale=tuple(own(m, v) for m, v in results),
        tki_exposures=(on(drug, mg=100),),
        transcript_type="e1a2",
    )


RISING = ((-0.3, 50.0), (3, 4.0), (6, 0.5), (12, 0.03), (18, 0.02), (24, 0.05), (29.5, 0.4))
STABLE = ((-0.3, 45.0), (3, 6.0), (6, 0.9), (12, 0.15), (18, 0.08), (24, 0.06), (29.5, 0.05))


# --- the own series ------------------------------------------------------------------------------------------


def test_the_series_is_sorted_one_per_day_and_the_same_whatever_the_order() -> None:
    results = (own(6, 0.5), own(3, 4.0), own(6, 0.7), own(-0.3, 50.0))
    [series] = own_scale_series(results, START, 0.1)
    [again] = own_scale_series(tuple(reversed(results)), START, 0.1)
    assert [r.percent for r in series.results] == [50.0, 4.0, 0.7] and series == again


def test_the_trend_reads_the_baseline_before_the_line_and_the_nadir_on_it() -> None:
    [series] = own_scale_series(tuple(own(m, v) for m, v in RISING), START, 0.1)
    assert series.baseline is not None and series.baseline.percent == 50.0
    assert series.nadir is not None and series.nadir.percent == 0.02
    assert series.log_change is not None and round(series.log_change, 1) == -2.1
    assert series.log_rise is not None and round(series.log_rise, 1) == 1.3
    assert series.rise_trigger is not None and series.rise_trigger.percent == 0.4


def test_a_rise_below_the_feasible_level_is_no_trigger() -> None:
    [series] = own_scale_series((own(0, 5.0), own(12, 0.001), own(18, 0.05)), START, 0.1)
    assert series.log_rise is not None and series.log_rise >= 1 and series.rise_trigger is None


def test_each_transcript_is_its_own_series() -> None:
    series = own_scale_series((own(3, 1.0, "e19a2"), own(3, 2.0, "e1a2")), START, 0.1)
    assert [s.transcript for s in series] == ["e19a2", "e1a2"]


# --- the atypical-transcript card ----------------------------------------------------------------------------


def test_an_own_series_gives_its_trend_and_no_milestone_or_is_gap() -> None:
    state = state_of(_e1a2(30, *STABLE))
    [card] = atypical_transcript_findings(state, KNOWLEDGE)
    assert "own scale" in card.summary and "3.0-log reduction" in card.summary
    assert rule_ids([card]) == {"course.transcript.atypical", "course.transcript.own-scale"}
    assert not any("cytogenetics" in line for line in card.detail)
    assert response_findings(state, KNOWLEDGE) == [] and data_quality_findings(state) == []


def test_no_quantitative_result_says_eln_allows_cytogenetic_monitoring() -> None:
    course = snapshot(14, tki_exposures=(on("imatinib", mg=400),), transcript_type="e19a2")
    [card] = atypical_transcript_findings(state_of(course), KNOWLEDGE)
    assert any("marrow cytogenetics" in line for line in card.detail) and "cytogenetics" in card.action
    assert "course.transcript.own-scale-no-quantitative" in rule_ids([card])


def test_a_typical_transcript_has_no_own_scale_card() -> None:
    course = snapshot(12.5, transcripts=(result(3, 5.0),), tki_exposures=(on("imatinib"),), transcript_type="e14a2")
    assert atypical_transcript_findings(state_of(course), KNOWLEDGE) == []


# --- mutation testing on the own scale -----------------------------------------------------------------------


def test_a_one_log_rise_to_a_feasible_level_asks_for_mutation_testing() -> None:
    [card] = mutation_testing_findings(state_of(_e1a2(30, *RISING)), KNOWLEDGE)
    assert card.code is FindingCode.MUTATION_TESTING and card.severity is Severity.WARNING
    assert "0.4% e1a2 (own scale)" in card.summary and card.suggest_service_request
    assert any("IS milestones cannot be used" in line for line in card.detail)
    assert rule_ids([card]) == {"kdtest.own-scale-log-rise"} and not card.verified


def test_no_mutation_testing_when_stable_or_tested_since_the_rise() -> None:
    assert mutation_testing_findings(state_of(_e1a2(30, *STABLE)), KNOWLEDGE) == []
    tested = replace(_e1a2(30, *RISING), kinase_domain_tests=(kd_test(day(29.8)),))
    assert mutation_testing_findings(state_of(tested), KNOWLEDGE) == []


def test_a_rise_to_detectable_asks_for_a_repeat_not_for_mutation_testing() -> None:
    results = [own(m, v) for m, v in ((-0.3, 30.0), (3, 2.0), (12, 0.01))]
    results += [own(m, 0.001, comparator=UNDETECTABLE) for m in (18, 24)] + [own(29.5, 0.004)]
    course = snapshot(30, own_scale=tuple(results), tki_exposures=(on("nilotinib", mg=600),), transcript_type="e1a2")
    codes = [f.code for f in assess(course, KNOWLEDGE)]
    assert FindingCode.MUTATION_TESTING not in codes and FindingCode.MONITORING_DUE in codes
    [card] = atypical_transcript_findings(state_of(course), KNOWLEDGE)
    assert any("**Detectable again**" in line for line in card.detail)


# --- a TKI missing from the record ---------------------------------------------------------------------------


def _untreated(*values: tuple[float, float]) -> PatientSnapshot:
    return snapshot(12, transcripts=tuple(result(m, v) for m, v in values), cml_diagnosis_sources=("Condition/c",))


def test_results_that_fall_a_log_with_no_tki_say_the_tki_is_missing() -> None:
    [card] = assess(_untreated((1, 40.0), (4, 12.0), (7, 3.0), (11.5, 0.9)), KNOWLEDGE)
    assert card.code is FindingCode.NOT_ASSESSABLE and card.severity is Severity.INFO
    assert card.extra["state"] == "tki-missing" and "Record the TKI" in card.summary
    assert rule_ids([card]) == {"course.tki-missing"} and not card.verified
    assert any("milestones" in line for line in card.detail)


def test_a_fall_of_less_than_a_log_is_still_a_new_diagnosis() -> None:
    [card] = relapse_findings(state_of(_untreated((1, 40.0), (11.5, 8.0))), KNOWLEDGE)
    assert card.extra["state"] == "new-diagnosis"
