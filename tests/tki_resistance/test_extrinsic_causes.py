"""extrinsic-causes: interactions (every interaction and drug-class row), low dose, gaps, adherence."""

from __future__ import annotations

import pytest

from tki_resistance.findings import Severity
from tki_resistance.knowledge.schema import DoseRow, DrugClassRow, InteractionRow
from tki_resistance.model import PatientSnapshot
from tki_resistance.stages.extrinsic_causes import extrinsic_causes_findings

from .scenarios import KNOWLEDGE, START, DiseasePhase, StopReason, comed, day, on, result, rule_ids, snapshot, stopped

FAILING = (result(3, 30.0), result(6, 20.0), result(12, 5.0))  # ELN failure at 12 months
OPTIMAL = (result(3, 5.0), result(6, 0.5), result(12, 0.05))


def _member(drug_class: str) -> str:
    return next(r for r in KNOWLEDGE.drug_classes if r.drug_class == drug_class).drugs[0]


@pytest.mark.parametrize("row", KNOWLEDGE.interactions, ids=lambda r: r.id)
def test_interaction_fires_with_a_member_of_its_class(row: InteractionRow) -> None:
    snap = snapshot(transcripts=FAILING, tki_exposures=(on(row.tki),), comedications=(comed(_member(row.drug_class)),))
    assert {row.id, "extrinsic.interactions"} <= rule_ids(extrinsic_causes_findings(snap, KNOWLEDGE))


@pytest.mark.parametrize("row", KNOWLEDGE.interactions, ids=lambda r: r.id)
def test_interaction_does_not_fire_without_the_drug(row: InteractionRow) -> None:
    snap = snapshot(transcripts=FAILING, tki_exposures=(on(row.tki),), comedications=(comed("paracetamol"),))
    assert not {row.id, "extrinsic.interactions"} & rule_ids(extrinsic_causes_findings(snap, KNOWLEDGE))


@pytest.mark.parametrize("row", KNOWLEDGE.drug_classes, ids=lambda r: r.id)
def test_drug_class_recognises_its_members_by_name_and_rxnorm(row: DrugClassRow) -> None:
    interaction = next(i for i in KNOWLEDGE.interactions if i.drug_class == row.drug_class)
    by_name = snapshot(transcripts=FAILING, tki_exposures=(on(interaction.tki),), comedications=(comed(row.drugs[0]),))
    assert row.id in rule_ids(extrinsic_causes_findings(by_name, KNOWLEDGE))
    if row.rxnorm:
        coded = comed("some brand", f"http://www.nlm.nih.gov/research/umls/rxnorm|{row.rxnorm[0]}")
        by_code = snapshot(transcripts=FAILING, tki_exposures=(on(interaction.tki),), comedications=(coded,))
        assert row.id in rule_ids(extrinsic_causes_findings(by_code, KNOWLEDGE))
    other = snapshot(transcripts=FAILING, tki_exposures=(on(interaction.tki),), comedications=(comed("paracetamol"),))
    assert row.id not in rule_ids(extrinsic_causes_findings(other, KNOWLEDGE))


def test_an_avoid_interaction_gives_a_card_even_with_an_optimal_response() -> None:
    snap = snapshot(transcripts=OPTIMAL, tki_exposures=(on("dasatinib"),), comedications=(comed("omeprazole 20 mg"),))
    [finding] = extrinsic_causes_findings(snap, KNOWLEDGE)
    assert finding.severity is Severity.WARNING and "ddi.dasatinib.proton-pump-inhibitor" in rule_ids([finding])


def test_a_caution_interaction_alone_with_an_optimal_response_gives_no_card() -> None:
    snap = snapshot(transcripts=OPTIMAL, tki_exposures=(on("dasatinib"),), comedications=(comed("ondansetron"),))
    assert extrinsic_causes_findings(snap, KNOWLEDGE) == []


STANDARD = [r for r in KNOWLEDGE.doses if r.situation == "standard"]


def _line_snapshot(row: DoseRow, mg: float) -> PatientSnapshot:
    exposures = [on(row.tki, mg=mg)]
    if row.line == "later":
        other = "imatinib" if row.tki != "imatinib" else "dasatinib"
        exposures.insert(0, stopped(other, day(-24), day(-1), StopReason.INTOLERANCE))
    phase = DiseasePhase.BLAST if row.phase == "advanced" else DiseasePhase.CHRONIC
    return snapshot(transcripts=FAILING, tki_exposures=tuple(exposures), phase=phase)


@pytest.mark.parametrize("row", STANDARD, ids=lambda r: r.id)
def test_dose_below_standard_fires_with_its_row(row: DoseRow) -> None:
    ids = rule_ids(extrinsic_causes_findings(_line_snapshot(row, row.daily_mg / 2), KNOWLEDGE))
    assert row.id in ids and "extrinsic.dose-below-standard" in ids


@pytest.mark.parametrize("row", STANDARD, ids=lambda r: r.id)
def test_standard_dose_does_not_fire(row: DoseRow) -> None:
    assert row.id not in rule_ids(extrinsic_causes_findings(_line_snapshot(row, row.daily_mg), KNOWLEDGE))


def test_gap_in_the_medication_record_is_an_interruption() -> None:
    first = on("imatinib", mg=400, end=day(5), active=False)
    second = on("imatinib", start=day(7), mg=400)
    snap = snapshot(as_of_months=20, transcripts=(result(19, 5.0),), tki_exposures=(first, second))  # failure
    findings = extrinsic_causes_findings(snap, KNOWLEDGE)
    assert "extrinsic.interruptions" in rule_ids(findings)
    no_gap = snapshot(as_of_months=20, transcripts=(result(19, 5.0),), tki_exposures=(on("imatinib", mg=400),))
    assert "extrinsic.interruptions" not in rule_ids(extrinsic_causes_findings(no_gap, KNOWLEDGE))


def test_adherence_is_asked_on_failure_and_not_when_optimal() -> None:
    failing = snapshot(transcripts=FAILING, tki_exposures=(on("imatinib", mg=400),))
    [finding] = extrinsic_causes_findings(failing, KNOWLEDGE)
    assert "extrinsic.adherence" in rule_ids([finding]) and finding.severity is Severity.INFO
    optimal = snapshot(transcripts=OPTIMAL, tki_exposures=(on("imatinib", mg=400),))
    assert extrinsic_causes_findings(optimal, KNOWLEDGE) == []
    assert day(12) > START


def test_nilotinib_with_a_ppi_is_not_recommended_even_when_optimal_and_an_h2_blocker_is_timing_only() -> None:
    ppi = snapshot(transcripts=OPTIMAL, tki_exposures=(on("nilotinib"),), comedications=(comed("esomeprazole"),))
    [finding] = extrinsic_causes_findings(ppi, KNOWLEDGE)
    assert "ddi.nilotinib.proton-pump-inhibitor" in rule_ids([finding])
    assert "not recommended" in "\n".join(finding.detail) and "10 h before" in "\n".join(finding.detail)
    h2 = snapshot(transcripts=OPTIMAL, tki_exposures=(on("nilotinib"),), comedications=(comed("famotidine"),))
    assert extrinsic_causes_findings(h2, KNOWLEDGE) == []
    failing = snapshot(transcripts=FAILING, tki_exposures=(on("nilotinib"),), comedications=(comed("famotidine"),))
    assert "ddi.nilotinib.h2-receptor-antagonist" in rule_ids(extrinsic_causes_findings(failing, KNOWLEDGE))


def test_rifabutin_is_a_moderate_inducer_avoided_with_bosutinib_only() -> None:
    bosutinib = snapshot(transcripts=OPTIMAL, tki_exposures=(on("bosutinib"),), comedications=(comed("rifabutin"),))
    ids = rule_ids(extrinsic_causes_findings(bosutinib, KNOWLEDGE))
    assert "ddi.bosutinib.moderate-cyp3a4-inducer" in ids and "ddi.bosutinib.strong-cyp3a4-inducer" not in ids
    dasatinib = snapshot(transcripts=OPTIMAL, tki_exposures=(on("dasatinib"),), comedications=(comed("rifabutin"),))
    assert extrinsic_causes_findings(dasatinib, KNOWLEDGE) == []


def test_fluconazole_counts_as_qt_prolonging_with_nilotinib() -> None:
    snap = snapshot(transcripts=OPTIMAL, tki_exposures=(on("nilotinib"),), comedications=(comed("fluconazole"),))
    assert "ddi.nilotinib.qt-prolonging" in rule_ids(extrinsic_causes_findings(snap, KNOWLEDGE))
