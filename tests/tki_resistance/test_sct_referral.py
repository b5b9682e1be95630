"""sct-referral: ≥2 TKIs failed for resistance (intolerance never counts), compound, advanced phase, T315I+ponatinib."""

from __future__ import annotations

from typing import Unpack

from tki_resistance.findings import Severity
from tki_resistance.model import TkiExposure
from tki_resistance.stages.sct_referral import sct_referral_findings

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


def _ids(**kw: Unpack[SnapshotArgs]) -> set[str]:
    return rule_ids(sct_referral_findings(state_of(snapshot(**kw), KNOWLEDGE), KNOWLEDGE))


def test_two_tkis_failed_for_resistance_fires() -> None:
    history = (
        stopped("imatinib", day(-36), day(-24), StopReason.RESISTANCE),
        stopped("dasatinib", day(-24), day(-1), StopReason.RESISTANCE),
        on("nilotinib"),
    )
    assert "sct.eln2020.two-tkis" in _ids(tki_exposures=history)


def test_intolerance_never_counts_as_a_failure() -> None:
    history = (
        stopped("imatinib", day(-36), day(-24), StopReason.INTOLERANCE),
        stopped("dasatinib", day(-24), day(-1), StopReason.RESISTANCE),
        on("nilotinib"),
    )
    assert "sct.eln2020.two-tkis" not in _ids(tki_exposures=history)


def test_a_failure_on_the_current_tki_counts_as_the_second() -> None:
    history = (stopped("imatinib", day(-36), day(-1), StopReason.RESISTANCE), on("dasatinib"))
    failing = (result(3, 30.0), result(6, 20.0))
    assert "sct.eln2020.two-tkis" in _ids(tki_exposures=history, transcripts=failing)
    assert "sct.eln2020.two-tkis" not in _ids(tki_exposures=history, transcripts=(result(3, 5.0), result(6, 0.5)))


def test_t315i_compound_fires_and_a_single_t315i_does_not() -> None:
    assert "sct.soverini.compound" in _ids(
        tki_exposures=(on("ponatinib"),), kinase_domain_tests=(kd_test(day(1), "T315I/Y253H"),)
    )
    assert "sct.soverini.compound" not in _ids(
        tki_exposures=(on("ponatinib"),), kinase_domain_tests=(kd_test(day(1), "T315I"),)
    )


def test_advanced_phase_fires_critical_and_chronic_phase_does_not() -> None:
    [finding] = sct_referral_findings(
        state_of(snapshot(tki_exposures=(on("dasatinib"),), phase=DiseasePhase.ACCELERATED), KNOWLEDGE), KNOWLEDGE
    )
    assert "sct.soverini.progression" in rule_ids([finding]) and finding.severity is Severity.CRITICAL
    assert _ids(tki_exposures=(on("dasatinib"),), phase=DiseasePhase.CHRONIC) == set()


def test_t315i_with_ponatinib_resistance_fires_and_without_resistance_does_not() -> None:
    tests = (kd_test(day(-2), "T315I"),)
    resistant = (stopped("ponatinib", day(-12), day(-1), StopReason.RESISTANCE), on("asciminib", mg=400, per_day=2))
    assert "sct.pdq.t315i-ponatinib" in _ids(tki_exposures=resistant, kinase_domain_tests=tests)
    intolerant = (stopped("ponatinib", day(-12), day(-1), StopReason.INTOLERANCE), on("asciminib", mg=400, per_day=2))
    assert _ids(tki_exposures=intolerant, kinase_domain_tests=tests) == set()


def _intolerant_of(*drugs: str) -> tuple[TkiExposure, ...]:
    return tuple(stopped(d, day(-60 + 10 * i), day(-51 + 10 * i), StopReason.INTOLERANCE) for i, d in enumerate(drugs))


def test_intolerance_of_every_tki_the_mutations_leave_fires() -> None:
    """T315I leaves ponatinib and asciminib; both stopped for intolerance → no option left."""
    tests = (kd_test(day(-70), "T315I"),)
    findings = sct_referral_findings(
        state_of(
            snapshot(tki_exposures=_intolerant_of("ponatinib", "asciminib"), kinase_domain_tests=tests), KNOWLEDGE
        ),
        KNOWLEDGE,
    )
    assert "sct.pdq.intolerant-all-options" in rule_ids(findings)
    stops = [e for e in findings[0].evidence if e.label == "Stopped for intolerance"]
    assert sorted((e.reference or "").split("-")[0] for e in stops) == [
        "MedicationStatement/asciminib",
        "MedicationStatement/ponatinib",
    ]


def test_an_option_never_tried_means_not_all_options_are_exhausted() -> None:
    tests = (kd_test(day(-70), "T315I"),)
    assert "sct.pdq.intolerant-all-options" not in _ids(
        tki_exposures=_intolerant_of("ponatinib"), kinase_domain_tests=tests
    )
    assert "sct.pdq.intolerant-all-options" not in _ids(tki_exposures=_intolerant_of("imatinib", "dasatinib"))
