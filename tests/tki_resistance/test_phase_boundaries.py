"""Issue #23 item 5: every ELN 2013/2020 phase criterion compares exactly as its source row says, tested on
the boundary value; asciminib is never an option outside chronic phase, nilotinib never in blast phase."""

from __future__ import annotations

import pytest

from tki_resistance.model import DiseasePhase, LabValue
from tki_resistance.stages.advanced_phase import advanced_phase_findings

from .scenarios import KNOWLEDGE, SnapshotFields, day, on, rule_ids, snapshot, state_of


def _lab(value: float) -> LabValue:
    return LabValue(f"Observation/lab-{value}", day(12), value)


def _phase_rules(fields: SnapshotFields, on_tki: bool = True) -> set[str]:
    base: SnapshotFields = {"tki_exposures": (on("imatinib"),)} if on_tki else {"tki_exposures": ()}
    return rule_ids(advanced_phase_findings(state_of(snapshot(**(base | fields)), KNOWLEDGE), KNOWLEDGE))


@pytest.mark.parametrize(
    ("blasts", "expected"),
    [
        (14.9, set()),
        (15.0, {"phase.eln.ap.blasts"}),
        (29.9, {"phase.eln.ap.blasts"}),
        (30.0, {"phase.eln.bp.blasts"}),  # BP: ≥30%
        (30.1, {"phase.eln.bp.blasts"}),
    ],
)
def test_blast_boundaries(blasts: float, expected: set[str]) -> None:
    found = _phase_rules({"blast_percent": blasts}) & {"phase.eln.ap.blasts", "phase.eln.bp.blasts"}
    assert found == expected


@pytest.mark.parametrize(("value", "fires"), [(29.9, False), (30.0, False), (30.1, True)])
def test_blasts_plus_promyelocytes_is_more_than_30(value: float, fires: bool) -> None:
    row = next(r for r in KNOWLEDGE.phases if r.id == "phase.eln.ap.blasts-promyelocytes")
    assert row.above == 30.0 and row.at_least is None  # '>30%' as the source row says
    assert ("phase.eln.ap.blasts-promyelocytes" in _phase_rules({"blasts_promyelocytes": _lab(value)})) is fires


@pytest.mark.parametrize(("value", "fires"), [(19.9, False), (20.0, True)])
def test_basophils_at_least_20(value: float, fires: bool) -> None:
    assert ("phase.eln.ap.basophils" in _phase_rules({"basophils": _lab(value)})) is fires


@pytest.mark.parametrize(("value", "fires"), [(100.0, False), (99.9, True)])
def test_platelets_below_100_off_treatment(value: float, fires: bool) -> None:
    assert ("phase.eln.ap.platelets" in _phase_rules({"platelets": _lab(value)}, on_tki=False)) is fires


@pytest.mark.parametrize("phase", [DiseasePhase.ACCELERATED, DiseasePhase.BLAST])
def test_asciminib_is_never_an_option_in_advanced_phase(phase: DiseasePhase) -> None:
    state = state_of(snapshot(tki_exposures=(on("imatinib", mg=600),), phase=phase, phase_date=day(12)), KNOWLEDGE)
    assert state.phase.name == phase.value
    assert "asciminib" not in state.options.names
    assert any(item.kind == "phase" for item in state.options.reasons("asciminib"))


def test_nilotinib_is_an_option_in_accelerated_but_never_in_blast_phase() -> None:
    def names(phase: DiseasePhase) -> tuple[str, ...]:
        fields: SnapshotFields = {"tki_exposures": (on("imatinib", mg=600),), "phase": phase, "phase_date": day(12)}
        return tuple(state_of(snapshot(**fields), KNOWLEDGE).options.names)

    assert "nilotinib" in names(DiseasePhase.ACCELERATED)
    assert "nilotinib" not in names(DiseasePhase.BLAST)
    assert KNOWLEDGE.dose_for("nilotinib", "standard", "blast", "later") is None
