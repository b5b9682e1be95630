"""mutation-testing: each trigger fires; a KD test after the trigger silences it; a new trigger re-opens."""

from __future__ import annotations

from typing import Unpack

from tki_resistance.findings import Severity
from tki_resistance.stages.mutation_testing import mutation_testing_findings

from .scenarios import (
    KNOWLEDGE,
    DiseasePhase,
    SnapshotArgs,
    StopReason,
    day,
    kd_test,
    on,
    result,
    rule_ids,
    snapshot,
    state_of,
    stopped,
)

IMATINIB = (on("imatinib", mg=400),)


def _ids(**kw: Unpack[SnapshotArgs]) -> set[str]:
    return rule_ids(mutation_testing_findings(state_of(snapshot(**kw), KNOWLEDGE), KNOWLEDGE))


def test_failure_triggers_testing_with_an_order_suggestion() -> None:
    [finding] = mutation_testing_findings(
        state_of(snapshot(transcripts=(result(3, 30.0), result(6, 20.0)), tki_exposures=IMATINIB), KNOWLEDGE), KNOWLEDGE
    )
    assert finding.severity is Severity.WARNING and finding.suggest_service_request
    assert "kdtest.failure" in rule_ids([finding])
    assert "Test already ordered" in finding.override_reasons


def test_optimal_response_does_not_trigger_testing() -> None:
    assert _ids(transcripts=(result(3, 5.0), result(6, 0.5)), tki_exposures=IMATINIB) == set()


def test_warning_with_rising_transcripts_triggers_but_a_falling_warning_does_not() -> None:
    assert "kdtest.warning-rising" in _ids(transcripts=(result(3, 5.0), result(6, 6.0)), tki_exposures=IMATINIB)
    assert _ids(transcripts=(result(3, 8.0), result(6, 6.0)), tki_exposures=IMATINIB) == set()


def test_loss_of_mmr_triggers_and_a_kd_test_since_silences_it() -> None:
    results = (result(6, 0.5), result(12, 0.05), result(18, 0.3))
    assert "kdtest.loss-of-mmr" in _ids(transcripts=results, tki_exposures=IMATINIB, as_of_months=19)
    tested = (kd_test(day(18.5)),)  # negative test after the trigger
    assert _ids(transcripts=results, tki_exposures=IMATINIB, kinase_domain_tests=tested, as_of_months=19) == set()
    assert "kdtest.loss-of-mmr" not in _ids(transcripts=results[:2], tki_exposures=IMATINIB)


def test_a_further_log_rise_after_the_test_is_a_new_trigger() -> None:
    results = (result(6, 0.5), result(12, 0.05), result(18, 0.12), result(21, 0.15), result(24, 1.3))
    tested = (kd_test(day(19)),)
    ids = _ids(transcripts=results, tki_exposures=IMATINIB, kinase_domain_tests=tested, as_of_months=25)
    assert "kdtest.log-rise" in ids
    small_rise = results[:4]
    assert _ids(transcripts=small_rise, tki_exposures=IMATINIB, kinase_domain_tests=tested, as_of_months=25) == set()


def test_first_result_above_1pct_in_the_episode_is_a_new_trigger() -> None:
    results = (result(6, 0.5), result(12, 0.05), result(18, 0.6), result(21, 1.5))
    tested = (kd_test(day(19)),)
    ids = _ids(transcripts=results, tki_exposures=IMATINIB, kinase_domain_tests=tested, as_of_months=22)
    assert "kdtest.above-1pct" in ids
    assert "kdtest.above-1pct" not in _ids(transcripts=results[:3], tki_exposures=IMATINIB, as_of_months=22)


def test_progression_triggers_testing_and_chronic_phase_does_not() -> None:
    assert "kdtest.progression" in _ids(tki_exposures=IMATINIB, phase=DiseasePhase.BLAST)
    assert "kdtest.progression" not in _ids(tki_exposures=IMATINIB, phase=DiseasePhase.CHRONIC)


def test_no_mmr_months_after_a_tfr_restart_triggers() -> None:
    tfr = stopped("imatinib", day(-72), day(0), StopReason.TFR)
    restart = on("imatinib", start=day(2), mg=400)
    results = (result(2, 0.3), result(6, 0.4))
    assert "kdtest.tfr-restart-no-mmr" in _ids(transcripts=results, tki_exposures=(tfr, restart), as_of_months=7)
    regained = (result(2, 0.3), result(6, 0.05))
    assert _ids(transcripts=regained, tki_exposures=(tfr, restart), as_of_months=7) == set()
