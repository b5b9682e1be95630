"""ELN 2020 failure at any time: a resistance mutation or a high-risk ACA found on the current TKI."""

from __future__ import annotations

from datetime import date

from tki_resistance.findings import FindingCode
from tki_resistance.model import PatientSnapshot
from tki_resistance.stages.any_time_failure import any_time_failure_findings

from .scenarios import KNOWLEDGE, day, kd_test, on, result, rule_ids, snapshot

OPTIMAL = (result(3, 5.0), result(6, 0.8), result(12, 0.05))
FAILING = (result(3, 40.0), result(6, 30.0), result(12, 20.0))


def test_resistance_mutation_found_on_the_current_tki_is_a_failure() -> None:
    snap = snapshot(
        transcripts=OPTIMAL, tki_exposures=(on("nilotinib"),), kinase_domain_tests=(kd_test(day(11), "Y253H"),)
    )
    [finding] = any_time_failure_findings(snap, KNOWLEDGE)
    assert finding.code is FindingCode.MILESTONE_FAILURE and "eln2020.any-time.resistance-mutation" in rule_ids(
        [finding]
    )
    assert finding.response is not None and finding.response["eln"] == "failure"


def test_no_failure_for_a_mutation_the_tki_covers_one_found_before_it_or_a_polymorphism() -> None:
    covered = snapshot(
        transcripts=OPTIMAL, tki_exposures=(on("dasatinib"),), kinase_domain_tests=(kd_test(day(11), "Y253H"),)
    )
    assert any_time_failure_findings(covered, KNOWLEDGE) == []
    before = snapshot(
        transcripts=OPTIMAL, tki_exposures=(on("nilotinib"),), kinase_domain_tests=(kd_test(day(-1), "Y253H"),)
    )
    assert any_time_failure_findings(before, KNOWLEDGE) == []
    snp = snapshot(
        transcripts=OPTIMAL, tki_exposures=(on("imatinib"),), kinase_domain_tests=(kd_test(day(11), "K247R"),)
    )
    assert any_time_failure_findings(snp, KNOWLEDGE) == []


def test_no_second_failure_card_when_bcr_abl1_already_fails() -> None:
    snap = snapshot(
        transcripts=FAILING, tki_exposures=(on("nilotinib"),), kinase_domain_tests=(kd_test(day(11), "Y253H"),)
    )
    assert any_time_failure_findings(snap, KNOWLEDGE) == []


def test_high_risk_aca_on_treatment_is_a_failure_unless_old_undated_or_before_the_tki() -> None:
    def snap(karyotype_date: date | None, karyotype_source: str | None = None) -> PatientSnapshot:
        return snapshot(
            transcripts=OPTIMAL,
            tki_exposures=(on("imatinib"),),
            chromosomal_abnormalities=("-7/7q-",),
            karyotype_date=karyotype_date,
            karyotype_source=karyotype_source,
        )

    [finding] = any_time_failure_findings(snap(karyotype_date=day(11), karyotype_source="Observation/k"), KNOWLEDGE)
    assert "eln2020.any-time.high-risk-aca" in rule_ids([finding]) and not finding.verified
    assert any_time_failure_findings(snap(karyotype_date=None), KNOWLEDGE) == []
    assert any_time_failure_findings(snap(karyotype_date=day(-1)), KNOWLEDGE) == []
    old = snapshot(
        transcripts=OPTIMAL,
        tki_exposures=(on("imatinib"),),
        chromosomal_abnormalities=("-7/7q-",),
        karyotype_date=day(1),
        as_of_months=30,
    )
    assert any_time_failure_findings(old, KNOWLEDGE) == []


def test_major_route_aca_is_left_to_the_advanced_phase_card() -> None:
    snap = snapshot(
        transcripts=OPTIMAL, tki_exposures=(on("imatinib"),), chromosomal_abnormalities=("+8",), karyotype_date=day(11)
    )
    assert any_time_failure_findings(snap, KNOWLEDGE) == []
