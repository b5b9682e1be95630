"""advanced-phase: ELN blasts bands, major-route ACAs on treatment, or the recorded phase; scheme named."""

from __future__ import annotations

import pytest

from tki_resistance.findings import Severity
from tki_resistance.model import LabValue
from tki_resistance.stages.advanced_phase import advanced_phase_findings

from .scenarios import KNOWLEDGE, DiseasePhase, SnapshotFields, day, on, rule_ids, snapshot, state_of


def _lab(value: float, months: float = 12.0) -> LabValue:
    return LabValue(f"Observation/lab-{value}", day(months), value)


CASES: dict[str, tuple[SnapshotFields, SnapshotFields]] = {
    "phase.eln.ap.blasts": ({"blast_percent": 15.0}, {"blast_percent": 14.9}),
    "phase.eln.bp.blasts": ({"blast_percent": 30.0}, {"blast_percent": 29.9}),
    "phase.eln.ap.major-route-aca": (
        {"chromosomal_abnormalities": ("i(17q)",)},
        {"chromosomal_abnormalities": ("+21",)},
    ),
    "phase.eln.ap.blasts-promyelocytes": (
        {"blasts_promyelocytes": _lab(30.1)},  # #23: '>30%' as the ELN table reads (exactly 30% is not AP)
        {"blasts_promyelocytes": _lab(30.0)},
    ),
    "phase.eln.ap.basophils": ({"basophils": _lab(20.0)}, {"basophils": _lab(19.0)}),
    # "unrelated to therapy": applied only off TKI, so the quiet case is the same count on a TKI
    "phase.eln.ap.platelets": (
        {"platelets": _lab(80.0), "tki_exposures": ()},
        {"platelets": _lab(80.0)},
    ),
    "phase.eln.bp.extramedullary": (
        {"extramedullary_blasts_source": "Condition/myeloid-sarcoma"},
        {"extramedullary_blasts_source": None},
    ),
    "phase.recorded.accelerated": ({"phase": DiseasePhase.ACCELERATED}, {"phase": DiseasePhase.CHRONIC}),
    "phase.recorded.blast": ({"phase": DiseasePhase.BLAST}, {"phase": DiseasePhase.UNKNOWN}),
}


def test_every_phase_row_has_a_case() -> None:
    assert {r.id for r in KNOWLEDGE.phases} == set(CASES)


@pytest.mark.parametrize("row_id", sorted(CASES))
def test_phase_row_fires_and_does_not(row_id: str) -> None:
    fires, quiet = CASES[row_id]
    base: SnapshotFields = {"tki_exposures": (on("imatinib"),)}
    assert row_id in rule_ids(advanced_phase_findings(state_of(snapshot(**(base | fires)), KNOWLEDGE), KNOWLEDGE))
    assert row_id not in rule_ids(advanced_phase_findings(state_of(snapshot(**(base | quiet)), KNOWLEDGE), KNOWLEDGE))


def test_counts_and_karyotype_age_out_and_the_card_says_so() -> None:
    old = snapshot(tki_exposures=(on("imatinib"),), basophils=_lab(25.0, months=6.0))
    assert advanced_phase_findings(state_of(old, KNOWLEDGE), KNOWLEDGE) == []
    both = snapshot(tki_exposures=(on("imatinib"),), basophils=_lab(25.0, months=6.0), blast_percent=16.0)
    [finding] = advanced_phase_findings(state_of(both, KNOWLEDGE), KNOWLEDGE)
    assert "window.basophils" not in rule_ids([finding]) and "Not used, too old: Basophils" in "\n".join(finding.detail)
    stale_karyotype = snapshot(
        tki_exposures=(on("imatinib"),), chromosomal_abnormalities=("+8",), karyotype_date=day(-1)
    )
    assert advanced_phase_findings(state_of(stale_karyotype, KNOWLEDGE), KNOWLEDGE) == []
    fresh = snapshot(
        tki_exposures=(on("imatinib"),),
        chromosomal_abnormalities=("+8",),
        karyotype_date=day(11),
        karyotype_source="Observation/karyo",
    )
    [finding] = advanced_phase_findings(state_of(fresh, KNOWLEDGE), KNOWLEDGE)
    assert "window.karyotype" in rule_ids([finding])
    assert any(e.reference == "Observation/karyo" and e.date == day(11).isoformat() for e in finding.evidence)


def test_blast_phase_is_critical_and_names_the_scheme_and_the_who_difference() -> None:
    [finding] = advanced_phase_findings(state_of(snapshot(blast_percent=22.0), KNOWLEDGE), KNOWLEDGE)
    assert finding.severity is Severity.CRITICAL and finding.extra["phase"] == "accelerated"
    text = "\n".join(finding.detail)
    assert "15–29%" in text and "WHO 2016/ICC 2022" in text
