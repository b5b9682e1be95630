"""One ELN 2020 verdict per line (issue #22): the milestones and the any-time criteria together — a resistance
mutation or a high-risk ACA found on the current TKI is failure, a high-risk ACA at diagnosis a warning — and
exactly one milestone card for the line, carrying that verdict (was stages/any_time_failure.py)."""

from __future__ import annotations

from datetime import date

from tki_resistance.findings import Finding, FindingCode
from tki_resistance.model import PatientSnapshot
from tki_resistance.stages.response import response_findings

from .scenarios import KNOWLEDGE, day, kd_test, on, result, rule_ids, snapshot, state_of

OPTIMAL = (result(3, 5.0), result(6, 0.8), result(12, 0.05))
WARNING = (result(3, 5.0), result(6, 5.0))  # 1–10% at 6 months
FAILING = (result(3, 40.0), result(6, 30.0), result(12, 20.0))
MILESTONE_CODES = {FindingCode.MILESTONE_WARNING, FindingCode.MILESTONE_FAILURE}


def _cards(snap: PatientSnapshot) -> list[Finding]:
    """The milestone cards of the line: the one card that carries the line's verdict."""
    return [f for f in response_findings(state_of(snap, KNOWLEDGE), KNOWLEDGE) if f.code in MILESTONE_CODES]


def test_resistance_mutation_found_on_the_current_tki_is_a_failure() -> None:
    snap = snapshot(
        transcripts=OPTIMAL, tki_exposures=(on("nilotinib"),), kinase_domain_tests=(kd_test(day(11), "Y253H"),)
    )
    [finding] = _cards(snap)
    assert finding.code is FindingCode.MILESTONE_FAILURE
    assert "eln2020.any-time.resistance-mutation" in rule_ids([finding])
    assert finding.response is not None and finding.response["eln"] == "failure"
    assert finding.extra["anyTime"] == ["resistance-mutation"]


def test_no_failure_for_a_mutation_the_tki_covers_one_found_before_it_or_a_polymorphism() -> None:
    covered = snapshot(
        transcripts=OPTIMAL, tki_exposures=(on("dasatinib"),), kinase_domain_tests=(kd_test(day(11), "Y253H"),)
    )
    assert _cards(covered) == []
    before = snapshot(
        transcripts=OPTIMAL, tki_exposures=(on("nilotinib"),), kinase_domain_tests=(kd_test(day(-1), "Y253H"),)
    )
    assert _cards(before) == []
    snp = snapshot(
        transcripts=OPTIMAL, tki_exposures=(on("imatinib"),), kinase_domain_tests=(kd_test(day(11), "K247R"),)
    )
    assert _cards(snp) == []


def test_one_failure_card_when_bcr_abl1_already_fails_carrying_the_mutation_too() -> None:
    # #22: was "no second failure card" (the any-time stage stayed silent); now the one card carries both
    snap = snapshot(
        transcripts=FAILING, tki_exposures=(on("nilotinib"),), kinase_domain_tests=(kd_test(day(11), "Y253H"),)
    )
    [finding] = _cards(snap)
    assert finding.code is FindingCode.MILESTONE_FAILURE
    assert {"eln2020.m12.failure", "eln2020.any-time.resistance-mutation"} <= rule_ids([finding])
    assert finding.extra["anyTime"] == ["resistance-mutation"]


def test_a_milestone_warning_with_a_resistance_mutation_is_one_failure_card_not_a_failure_and_a_warning() -> None:
    # #22: one ELN verdict per line: the worst of the milestone (warning) and the any-time criteria (failure)
    snap = snapshot(
        as_of_months=6.5,
        transcripts=WARNING,
        tki_exposures=(on("nilotinib"),),
        kinase_domain_tests=(kd_test(day(6), "Y253H"),),
    )
    [finding] = _cards(snap)
    assert finding.code is FindingCode.MILESTONE_FAILURE and finding.response is not None
    assert finding.response["eln"] == "failure" and "eln2020.m6.warning" in rule_ids([finding])
    assert "Weigh continuing" not in finding.action


def test_high_risk_aca_on_treatment_is_a_failure_unless_old_undated_or_before_the_tki() -> None:
    def snap(karyotype_date: date | None, karyotype_source: str | None = None) -> PatientSnapshot:
        return snapshot(
            transcripts=OPTIMAL,
            tki_exposures=(on("imatinib"),),
            chromosomal_abnormalities=("-7/7q-",),
            karyotype_date=karyotype_date,
            karyotype_source=karyotype_source,
        )

    [finding] = _cards(snap(karyotype_date=day(11), karyotype_source="Observation/k"))
    assert finding.code is FindingCode.MILESTONE_FAILURE
    assert "eln2020.any-time.high-risk-aca" in rule_ids([finding]) and not finding.verified
    assert _cards(snap(karyotype_date=None)) == []
    # #22: present at diagnosis (before the first TKI) it is the ELN 2020 baseline warning, not nothing
    [baseline] = _cards(snap(karyotype_date=day(-1)))
    assert baseline.code is FindingCode.MILESTONE_WARNING and baseline.extra["anyTime"] == ["high-risk-aca-baseline"]
    assert "eln2020.any-time.high-risk-aca" not in rule_ids([baseline])
    old = snapshot(
        transcripts=OPTIMAL,
        tki_exposures=(on("imatinib"),),
        chromosomal_abnormalities=("-7/7q-",),
        karyotype_date=day(1),
        as_of_months=30,
    )
    assert _cards(old) == []


def test_major_route_aca_leads_with_the_advanced_phase_card_and_one_failure_card_defers_to_it() -> None:
    # #22: +8 on treatment is ELN 2020 failure at any time (one milestone card) and accelerated phase (the phase
    # card leads): the milestone card no longer stays silent, and it says neither "weigh continuing" nor its own plan
    snap = snapshot(
        transcripts=OPTIMAL, tki_exposures=(on("imatinib"),), chromosomal_abnormalities=("+8",), karyotype_date=day(11)
    )
    state = state_of(snap, KNOWLEDGE)
    assert state.phase.advanced and state.phase.name == "accelerated"
    [finding] = _cards(snap)
    assert finding.code is FindingCode.MILESTONE_FAILURE and "eln2020.any-time.high-risk-aca" in rule_ids([finding])
    assert "advanced-phase card" in finding.action and "Weigh continuing" not in finding.action
