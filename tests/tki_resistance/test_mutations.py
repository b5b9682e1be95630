"""avoid-tki: every mutation and compound rule fires for its mutation and not for another."""

from __future__ import annotations

import pytest

from tki_resistance.findings import Finding, FindingCode, Severity
from tki_resistance.knowledge.schema import CompoundRuleRow, MutationRuleRow
from tki_resistance.model import StopReason, TkiExposure
from tki_resistance.stages.avoid_tki import avoid_tki_findings

from .scenarios import KNOWLEDGE, START, DiseasePhase, day, kd_test, on, snapshot, state_of, stopped

RULES = [r for r in KNOWLEDGE.mutation_rules if r.mutations and r.effect != "not-atp-site"]


def _finding(
    *names: str,
    drug: str = "imatinib",
    before: tuple[TkiExposure, ...] = (),
    phase: DiseasePhase = DiseasePhase.UNKNOWN,
) -> Finding | None:
    exposures = (*before, on(drug, start=day(6)) if before else on(drug))
    snap = snapshot(tki_exposures=exposures, kinase_domain_tests=(kd_test(day(12), *names),), phase=phase)
    findings = avoid_tki_findings(state_of(snap, KNOWLEDGE), KNOWLEDGE)
    return findings[0] if findings else None


def _fired(finding: Finding | None, row_id: str) -> bool:
    if finding is None:
        return False
    ids = {r.id for r in finding.rules} | set(finding.extra.get("optionRules", []))
    return row_id in ids


@pytest.mark.parametrize("row", RULES, ids=lambda r: r.id)
def test_mutation_rule_fires_for_its_mutation(row: MutationRuleRow) -> None:
    mutation = "T315I" if row.mutations == ["*"] else row.mutations[0]
    assert _fired(_finding(mutation), row.id)


@pytest.mark.parametrize("row", RULES, ids=lambda r: r.id)
def test_mutation_rule_does_not_fire_for_another_mutation(row: MutationRuleRow) -> None:
    if row.mutations == ["*"]:
        assert _finding() is None  # a negative test: nothing to avoid
    else:
        assert not _fired(_finding("Q252H"), row.id)


@pytest.mark.parametrize("row", [r for r in KNOWLEDGE.mutation_rules if r.transcripts], ids=lambda r: r.id)
def test_transcript_rule_fires_only_for_its_transcript(row: MutationRuleRow) -> None:
    """The exon-2-less row rests on preclinical data: a caution on asciminib in use, never an exclusion
    (corrected in issue #9; it used to put asciminib in `avoid`)."""
    drug = row.tkis[0]
    fired = avoid_tki_findings(
        state_of(snapshot(tki_exposures=(on(drug),), transcript_type=row.transcripts[0]), KNOWLEDGE), KNOWLEDGE
    )
    assert fired and row.id in {r.id for r in fired[0].rules}
    assert (drug in fired[0].avoid) is (row.effect == "avoid")
    assert (
        avoid_tki_findings(state_of(snapshot(tki_exposures=(on(drug),), transcript_type="e13a2"), KNOWLEDGE), KNOWLEDGE)
        == []
    )
    co_expressed = f"e13a2+{row.transcripts[0]}"
    assert avoid_tki_findings(
        state_of(snapshot(tki_exposures=(on(drug),), transcript_type=co_expressed), KNOWLEDGE), KNOWLEDGE
    )
    assert (
        avoid_tki_findings(
            state_of(snapshot(tki_exposures=(on("imatinib"),), transcript_type=row.transcripts[0]), KNOWLEDGE),
            KNOWLEDGE,
        )
        == []
    )


@pytest.mark.parametrize("row", KNOWLEDGE.compound_rules, ids=lambda r: r.id)
def test_compound_rule_fires_for_a_compound_and_not_for_separate_variants(row: CompoundRuleRow) -> None:
    compound = "T315I/E255V" if "T315I" in row.requires else "Y253H/F317L"
    before = tuple(stopped(t, START, day(6), StopReason.RESISTANCE) for t in row.after_resistance_to)
    assert _fired(_finding(compound, before=before), row.id)
    assert not _fired(_finding(*compound.split("/"), before=before), row.id)


def test_ponatinib_stays_an_option_for_t315i_compound_until_it_failed() -> None:
    """Zabriskie 2014: T315I plus another key position resists ponatinib clinically once it failed."""
    fresh = _finding("T315I/E255V", drug="ponatinib")
    assert fresh is not None and "ponatinib" not in fresh.avoid
    failed = _finding(
        "T315I/E255V", drug="asciminib", before=(stopped("ponatinib", START, day(6), StopReason.RESISTANCE),)
    )
    assert failed is not None and "ponatinib" in failed.avoid
    intolerant = _finding(
        "T315I/E255V", drug="asciminib", before=(stopped("ponatinib", START, day(6), StopReason.INTOLERANCE),)
    )
    assert intolerant is not None and "ponatinib" not in intolerant.avoid


def test_k247r_polymorphism_alone_excludes_nothing_but_is_named() -> None:
    [finding] = avoid_tki_findings(
        state_of(
            snapshot(tki_exposures=(on("imatinib"),), kinase_domain_tests=(kd_test(day(12), "K247R"),)), KNOWLEDGE
        ),
        KNOWLEDGE,
    )
    assert finding.code is FindingCode.DATA_EXCLUDED and finding.severity is Severity.INFO
    assert finding.avoid == () and "K247R" in finding.summary and "polymorphism" in finding.summary
    assert {r.id for r in finding.rules} == {"polymorphism.abl1.k247r"}
    assert "Ernst2008" in finding.rules[0].source


def test_k247r_beside_a_real_mutation_is_listed_and_adds_no_exclusion() -> None:
    finding = _finding("K247R", "F317L")
    assert finding is not None and finding.code is FindingCode.AVOID_TKI
    alone = _finding("F317L")
    assert alone is not None and finding.avoid == alone.avoid
    assert "K247R" not in finding.mutations and any("K247R" in line for line in finding.detail)


def test_unverified_polymorphism_is_still_counted_and_said_so() -> None:
    row = next(r for r in KNOWLEDGE.polymorphisms if not r.verified)
    finding = _finding(row.change)
    assert finding is not None and "imatinib" in finding.avoid
    assert any("unverified: still counted" in line for line in finding.detail)


@pytest.mark.parametrize("change", ["A337T", "P465S", "V468F", "I502L", "C464W"])
def test_myristoyl_pocket_mutation_avoids_asciminib_not_imatinib(change: str) -> None:
    finding = _finding(change, drug="asciminib")
    assert finding is not None and "asciminib" in finding.avoid and "imatinib" not in finding.avoid
    assert _fired(finding, "myristoyl-pocket.not-atp-site")
    assert not _fired(_finding("Q252H"), "myristoyl-pocket.not-atp-site")
    assert "imatinib" in (_finding("Q252H") or Finding.__new__(Finding)).avoid


def _options_line(finding: Finding) -> str:
    return next(line for line in finding.detail if line.startswith("Remaining options"))


def test_remaining_option_doses_follow_phase_and_line() -> None:
    """Chronic phase never shows the accelerated-phase rows; first line only for a patient new to TKIs."""
    later = _finding("Y253H")  # on imatinib: any other TKI would be a later line
    assert later is not None
    line = _options_line(later)
    assert "dasatinib (100 mg once daily" in line and "140 mg" not in line
    assert "bosutinib (500 mg once daily" in line and "accelerated" not in line
    first = _finding("F317L", drug="nilotinib")  # nilotinib first line, still an option
    assert first is not None and "nilotinib (300 mg twice daily" in _options_line(first)
    second = _finding("F317L")
    assert second is not None and "nilotinib (400 mg twice daily" in _options_line(second)
    advanced = _finding("F317L", phase=DiseasePhase.ACCELERATED)
    assert advanced is not None and "accelerated phase" in _options_line(advanced)


def test_options_mark_tkis_already_failed_for_resistance() -> None:
    finding = _finding("F317L", before=(stopped("nilotinib", START, day(6), StopReason.RESISTANCE),))
    assert finding is not None
    # #22: a TKI failed for resistance is no longer an option: it is listed apart, with the reason
    assert "nilotinib" not in _options_line(finding)
    assert any(
        line.startswith("Not options:") and "nilotinib (failed for resistance" in line for line in finding.detail
    )
    fresh = _finding("F317L")
    assert fresh is not None and "nilotinib (400 mg twice daily" in _options_line(fresh)
    assert "failed for resistance" not in "\n".join(fresh.detail)


def test_t315i_avoids_all_atp_site_2g_tkis_and_leaves_ponatinib_and_asciminib_with_doses() -> None:
    finding = _finding("T315I", drug="ponatinib")
    assert finding is not None
    assert finding.avoid == ("bosutinib", "dasatinib", "imatinib", "nilotinib")
    assert finding.mutations == ("T315I",)
    assert finding.severity is Severity.INFO
    text = "\n".join(finding.detail)
    assert "200 mg twice daily" in text and "15 mg at ≤1%" in text


def test_current_tki_to_avoid_is_critical() -> None:
    finding = _finding("T315I", drug="nilotinib")
    assert finding is not None and finding.severity is Severity.CRITICAL
    assert finding.extra["conflicts"] == ["nilotinib"]


def test_ordered_tki_to_avoid_is_critical() -> None:
    ordered = on("dasatinib", ordered=True)
    snap = snapshot(tki_exposures=(on("imatinib"), ordered), kinase_domain_tests=(kd_test(day(12), "F317L"),))
    [finding] = avoid_tki_findings(state_of(snap, KNOWLEDGE), KNOWLEDGE)
    assert finding.severity is Severity.CRITICAL and "dasatinib" in finding.avoid


def test_progressed_disease_makes_avoid_tki_critical() -> None:
    finding = _finding("Y253H", drug="dasatinib", phase=DiseasePhase.BLAST)
    assert finding is not None and finding.severity is Severity.CRITICAL


def test_compound_mutation_avoids_the_union_of_components() -> None:
    finding = _finding("Y253H/F317L")
    assert finding is not None
    assert {"nilotinib", "dasatinib", "bosutinib", "imatinib"} <= set(finding.avoid)
    assert finding.mutations == ("Y253H/F317L",)


def test_t315i_compound_avoids_asciminib_but_not_ponatinib() -> None:
    finding = _finding("T315I/E255V")
    assert finding is not None
    assert "asciminib" in finding.avoid and "ponatinib" not in finding.avoid


def test_f317l_shows_the_eln_nccn_disagreement_on_bosutinib() -> None:
    finding = _finding("F317L")
    assert finding is not None and "bosutinib" in finding.avoid
    assert any("Guidelines disagree" in line and "bosutinib" in line for line in finding.detail)


def test_low_level_variant_counts_and_shows_its_allele_fraction() -> None:
    from tki_resistance.model import KinaseDomainTest, Variant

    test = KinaseDomainTest("Observation/kd", day(12), (Variant("T315I", ("T315I",), 0.05),))
    [finding] = avoid_tki_findings(
        state_of(snapshot(tki_exposures=(on("imatinib"),), kinase_domain_tests=(test,)), KNOWLEDGE), KNOWLEDGE
    )
    assert "nilotinib" in finding.avoid
    assert any("5%" in e.value and "low-level" in e.value for e in finding.evidence)


def test_no_mutation_detected_gives_no_avoid_card() -> None:
    assert _finding() is None
    assert FindingCode.AVOID_TKI.value == "avoid-tki"


def test_remaining_options_carry_the_comorbidity_cautions_of_the_record() -> None:
    """T315I leaves ponatinib; a recorded hypertension must show its caution beside that option."""
    from datetime import date

    import msgspec

    from tki_resistance import Comorbidity, KinaseDomainTest, PatientSnapshot, TkiExposure, Variant, default_knowledge
    from tki_resistance.stages.avoid_tki import avoid_tki_findings

    knowledge = default_knowledge()
    test = KinaseDomainTest("Observation/v", date(2026, 1, 5), (Variant("T315I", ("T315I",)),))
    base = PatientSnapshot(
        "p",
        date(2026, 2, 1),
        kinase_domain_tests=(test,),
        tki_exposures=(TkiExposure("MedicationStatement/1", "nilotinib", date(2025, 1, 1)),),
    )
    hypertensive = PatientSnapshot(
        **{
            **msgspec.structs.asdict(base),
            "comorbidities": (Comorbidity("Condition/h", "hypertension", "Hypertension"),),
        }
    )
    [plain] = avoid_tki_findings(state_of(base, knowledge), knowledge)
    [flagged] = avoid_tki_findings(state_of(hypertensive, knowledge), knowledge)
    assert plain.extra["optionCautions"] == []
    assert "ponatinib:hypertension" in flagged.extra["optionCautions"]
    assert any("ponatinib: **Hypertension**" in line for line in flagged.detail)
    assert any(e.reference == "Condition/h" for e in flagged.evidence)
