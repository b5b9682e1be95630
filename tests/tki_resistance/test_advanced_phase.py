"""advanced-phase: ELN blasts bands, major-route ACAs on treatment, or the recorded phase; scheme named."""

from __future__ import annotations

import pytest

from tki_resistance.advanced_phase import advanced_phase_findings
from tki_resistance.findings import Severity

from .scenarios import KNOWLEDGE, DiseasePhase, on, rule_ids, snapshot

CASES = {
    "phase.eln.ap.blasts": ({"blast_percent": 15.0}, {"blast_percent": 14.9}),
    "phase.eln.bp.blasts": ({"blast_percent": 30.0}, {"blast_percent": 29.9}),
    "phase.eln.ap.major-route-aca": (
        {"chromosomal_abnormalities": ("i(17q)",)},
        {"chromosomal_abnormalities": ("+21",)},
    ),
    "phase.recorded.accelerated": ({"phase": DiseasePhase.ACCELERATED}, {"phase": DiseasePhase.CHRONIC}),
    "phase.recorded.blast": ({"phase": DiseasePhase.BLAST}, {"phase": DiseasePhase.UNKNOWN}),
}


def test_every_phase_row_has_a_case() -> None:
    assert {r.id for r in KNOWLEDGE.phases} == set(CASES)


@pytest.mark.parametrize("row_id", sorted(CASES))
def test_phase_row_fires_and_does_not(row_id: str) -> None:
    fires, quiet = CASES[row_id]
    assert row_id in rule_ids(advanced_phase_findings(snapshot(tki_exposures=(on("imatinib"),), **fires), KNOWLEDGE))
    assert row_id not in rule_ids(
        advanced_phase_findings(snapshot(tki_exposures=(on("imatinib"),), **quiet), KNOWLEDGE)
    )


def test_blast_phase_is_critical_and_names_the_scheme_and_the_who_difference() -> None:
    [finding] = advanced_phase_findings(snapshot(blast_percent=22.0), KNOWLEDGE)
    assert finding.severity is Severity.CRITICAL and finding.extra["phase"] == "accelerated"
    text = "\n".join(finding.detail)
    assert "15–29%" in text and "WHO 2016/ICC 2022" in text
