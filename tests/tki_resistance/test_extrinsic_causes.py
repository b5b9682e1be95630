"""extrinsic-causes: interactions (every interaction and drug-class row), low dose, gaps, adherence."""

from __future__ import annotations

import pytest

from tki_resistance.findings import Severity
from tki_resistance.knowledge.schema import DoseRow, DrugClassRow, InteractionRow
from tki_resistance.model import PatientSnapshot
from tki_resistance.stages.drug_interaction import drug_interaction_findings
from tki_resistance.stages.extrinsic_causes import extrinsic_causes_findings

from .scenarios import (
    KNOWLEDGE,
    START,
    DiseasePhase,
    StopReason,
    comed,
    day,
    on,
    result,
    rule_ids,
    snapshot,
    state_of,
    stopped,
)

FAILING = (result(3, 30.0), result(6, 20.0), result(12, 5.0))  # ELN failure at 12 months
OPTIMAL = (result(3, 5.0), result(6, 0.5), result(12, 0.05))


def _member(drug_class: str) -> str:
    return next(r for r in KNOWLEDGE.drug_classes if r.drug_class == drug_class).drugs[0]


def _interaction_cards(snap: PatientSnapshot) -> tuple[set[str], set[str]]:
    """The rule ids of the extrinsic-causes card and of the drug-interaction (safety) card."""
    state = state_of(snap, KNOWLEDGE)
    return (
        rule_ids(extrinsic_causes_findings(state, KNOWLEDGE)),
        rule_ids(drug_interaction_findings(state, KNOWLEDGE)),
    )


@pytest.mark.parametrize("row", KNOWLEDGE.interactions, ids=lambda r: r.id)
def test_interaction_fires_with_a_member_of_its_class(row: InteractionRow) -> None:
    snap = snapshot(transcripts=FAILING, tki_exposures=(on(row.tki),), comedications=(comed(_member(row.drug_class)),))
    extrinsic, safety = _interaction_cards(snap)
    if row.exposure == "lowers":
        assert {row.id, "extrinsic.interactions"} <= extrinsic and row.id not in safety
    else:  # #22: an interaction that raises exposure or adds a risk is a drug-interaction card, never a cause
        assert row.id in safety and not {row.id, "extrinsic.interactions"} & extrinsic


@pytest.mark.parametrize("row", KNOWLEDGE.interactions, ids=lambda r: r.id)
def test_interaction_does_not_fire_without_the_drug(row: InteractionRow) -> None:
    snap = snapshot(transcripts=FAILING, tki_exposures=(on(row.tki),), comedications=(comed("paracetamol"),))
    extrinsic, safety = _interaction_cards(snap)
    assert not {row.id, "extrinsic.interactions"} & (extrinsic | safety)


@pytest.mark.parametrize("row", KNOWLEDGE.drug_classes, ids=lambda r: r.id)
def test_drug_class_recognises_its_members_by_name_and_rxnorm(row: DrugClassRow) -> None:
    # #22: a class whose interaction raises exposure shows on the drug-interaction card: look at both cards
    interaction = next(i for i in KNOWLEDGE.interactions if i.drug_class == row.drug_class)
    by_name = snapshot(transcripts=FAILING, tki_exposures=(on(interaction.tki),), comedications=(comed(row.drugs[0]),))
    assert row.id in set.union(*_interaction_cards(by_name))
    if row.rxnorm:
        coded = comed("some brand", f"http://www.nlm.nih.gov/research/umls/rxnorm|{row.rxnorm[0]}")
        by_code = snapshot(transcripts=FAILING, tki_exposures=(on(interaction.tki),), comedications=(coded,))
        assert row.id in set.union(*_interaction_cards(by_code))
    other = snapshot(transcripts=FAILING, tki_exposures=(on(interaction.tki),), comedications=(comed("paracetamol"),))
    assert row.id not in set.union(*_interaction_cards(other))


def test_an_avoid_interaction_gives_a_card_even_with_an_optimal_response() -> None:
    snap = snapshot(transcripts=OPTIMAL, tki_exposures=(on("dasatinib"),), comedications=(comed("omeprazole 20 mg"),))
    [finding] = extrinsic_causes_findings(state_of(snap, KNOWLEDGE), KNOWLEDGE)
    assert finding.severity is Severity.WARNING and "ddi.dasatinib.proton-pump-inhibitor" in rule_ids([finding])


def test_a_caution_interaction_alone_with_an_optimal_response_gives_no_card() -> None:
    snap = snapshot(transcripts=OPTIMAL, tki_exposures=(on("dasatinib"),), comedications=(comed("ondansetron"),))
    assert extrinsic_causes_findings(state_of(snap, KNOWLEDGE), KNOWLEDGE) == []


STANDARD = [r for r in KNOWLEDGE.doses if r.situation == "standard"]


def _line_snapshot(row: DoseRow, mg: float) -> PatientSnapshot:
    exposures = [on(row.tki, mg=mg)]
    if row.line == "later":
        other = "imatinib" if row.tki != "imatinib" else "dasatinib"
        exposures.insert(0, stopped(other, day(-24), day(-1), StopReason.INTOLERANCE))
    # #22: nilotinib has no blast-phase dose: its row is accelerated-phase only (dose.nilotinib.any.accelerated)
    phase = {"advanced": DiseasePhase.BLAST, "accelerated": DiseasePhase.ACCELERATED}.get(
        row.phase, DiseasePhase.CHRONIC
    )
    return snapshot(transcripts=FAILING, tki_exposures=tuple(exposures), phase=phase)


@pytest.mark.parametrize("row", STANDARD, ids=lambda r: r.id)
def test_dose_below_standard_fires_with_its_row(row: DoseRow) -> None:
    ids = rule_ids(extrinsic_causes_findings(state_of(_line_snapshot(row, row.daily_mg / 2), KNOWLEDGE), KNOWLEDGE))
    assert row.id in ids and "extrinsic.dose-below-standard" in ids


@pytest.mark.parametrize("row", STANDARD, ids=lambda r: r.id)
def test_standard_dose_does_not_fire(row: DoseRow) -> None:
    assert row.id not in rule_ids(
        extrinsic_causes_findings(state_of(_line_snapshot(row, row.daily_mg), KNOWLEDGE), KNOWLEDGE)
    )


def test_gap_in_the_medication_record_is_an_interruption() -> None:
    first = on("imatinib", mg=400, end=day(5), active=False)
    second = on("imatinib", start=day(7), mg=400)
    snap = snapshot(as_of_months=20, transcripts=(result(19, 5.0),), tki_exposures=(first, second))  # failure
    findings = extrinsic_causes_findings(state_of(snap, KNOWLEDGE), KNOWLEDGE)
    assert "extrinsic.interruptions" in rule_ids(findings)
    no_gap = snapshot(as_of_months=20, transcripts=(result(19, 5.0),), tki_exposures=(on("imatinib", mg=400),))
    assert "extrinsic.interruptions" not in rule_ids(extrinsic_causes_findings(state_of(no_gap, KNOWLEDGE), KNOWLEDGE))


def test_adherence_is_asked_on_failure_and_not_when_optimal() -> None:
    failing = snapshot(transcripts=FAILING, tki_exposures=(on("imatinib", mg=400),))
    [finding] = extrinsic_causes_findings(state_of(failing, KNOWLEDGE), KNOWLEDGE)
    assert "extrinsic.adherence" in rule_ids([finding]) and finding.severity is Severity.INFO
    optimal = snapshot(transcripts=OPTIMAL, tki_exposures=(on("imatinib", mg=400),))
    assert extrinsic_causes_findings(state_of(optimal, KNOWLEDGE), KNOWLEDGE) == []
    assert day(12) > START


def test_nilotinib_with_a_ppi_is_not_recommended_even_when_optimal_and_an_h2_blocker_is_timing_only() -> None:
    ppi = snapshot(transcripts=OPTIMAL, tki_exposures=(on("nilotinib"),), comedications=(comed("esomeprazole"),))
    [finding] = extrinsic_causes_findings(state_of(ppi, KNOWLEDGE), KNOWLEDGE)
    assert "ddi.nilotinib.proton-pump-inhibitor" in rule_ids([finding])
    assert "not recommended" in "\n".join(finding.detail) and "10 h before" in "\n".join(finding.detail)
    h2 = snapshot(transcripts=OPTIMAL, tki_exposures=(on("nilotinib"),), comedications=(comed("famotidine"),))
    assert extrinsic_causes_findings(state_of(h2, KNOWLEDGE), KNOWLEDGE) == []
    failing = snapshot(transcripts=FAILING, tki_exposures=(on("nilotinib"),), comedications=(comed("famotidine"),))
    assert "ddi.nilotinib.h2-receptor-antagonist" in rule_ids(
        extrinsic_causes_findings(state_of(failing, KNOWLEDGE), KNOWLEDGE)
    )


def test_rifabutin_is_a_moderate_inducer_avoided_with_bosutinib_only() -> None:
    bosutinib = snapshot(transcripts=OPTIMAL, tki_exposures=(on("bosutinib"),), comedications=(comed("rifabutin"),))
    ids = rule_ids(extrinsic_causes_findings(state_of(bosutinib, KNOWLEDGE), KNOWLEDGE))
    assert "ddi.bosutinib.moderate-cyp3a4-inducer" in ids and "ddi.bosutinib.strong-cyp3a4-inducer" not in ids
    dasatinib = snapshot(transcripts=OPTIMAL, tki_exposures=(on("dasatinib"),), comedications=(comed("rifabutin"),))
    assert extrinsic_causes_findings(state_of(dasatinib, KNOWLEDGE), KNOWLEDGE) == []


def test_fluconazole_counts_as_qt_prolonging_with_nilotinib() -> None:
    snap = snapshot(transcripts=OPTIMAL, tki_exposures=(on("nilotinib"),), comedications=(comed("fluconazole"),))
    # #22: QT prolongation adds a risk, it does not lower exposure: a drug-interaction card, not an extrinsic cause
    extrinsic, safety = _interaction_cards(snap)
    assert "ddi.nilotinib.qt-prolonging" in safety and "ddi.nilotinib.qt-prolonging" not in extrinsic
