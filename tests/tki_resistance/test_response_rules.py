"""response: every milestone and NCCN row fires in its band and not outside; kinetics; TFR-goal footnote."""

from __future__ import annotations

import pytest

from tki_resistance.knowledge.schema import MilestoneRow, NccnRow
from tki_resistance.stages.response import response_findings
from tki_resistance.state.milestones import assess_milestones
from tki_resistance.state.nccn import nccn_bands_for

from .scenarios import KNOWLEDGE, on, result, snapshot, state_of

SURVIVAL = [r for r in KNOWLEDGE.milestones if r.goal == "survival" and not r.requires_confirmation]
MONTHS = {3: 3, 6: 6, 12: 12, 0: 24}


def _inside(row: MilestoneRow | NccnRow) -> float:
    if row.at_most is not None:
        return row.at_most
    return (row.above or 0) + 0.01


def _outside(row: MilestoneRow | NccnRow) -> float:
    return row.at_most + 0.01 if row.at_most is not None else (row.above or 0)


@pytest.mark.parametrize("row", SURVIVAL, ids=lambda r: r.id)
def test_milestone_row_fires_in_its_band(row: MilestoneRow) -> None:
    assessment = assess_milestones(on("imatinib"), (result(MONTHS[row.months], _inside(row)),), KNOWLEDGE.milestones)
    assert assessment is not None and assessment.row.id == row.id


@pytest.mark.parametrize("row", SURVIVAL, ids=lambda r: r.id)
def test_milestone_row_does_not_fire_outside_its_band(row: MilestoneRow) -> None:
    assessment = assess_milestones(on("imatinib"), (result(MONTHS[row.months], _outside(row)),), KNOWLEDGE.milestones)
    assert assessment is not None and assessment.row.id != row.id


@pytest.mark.parametrize("row", KNOWLEDGE.nccn_bands, ids=lambda r: r.id)
def test_nccn_band_fires_in_its_band_and_not_outside(row: NccnRow) -> None:
    assert row in nccn_bands_for(_inside(row), row.months, KNOWLEDGE.nccn_bands)
    assert row not in nccn_bands_for(_outside(row), row.months, KNOWLEDGE.nccn_bands)


def test_card_shows_the_nccn_colour_beside_eln_with_the_2025_caveat() -> None:
    [finding] = response_findings(
        state_of(snapshot(transcripts=(result(12, 5.0),), tki_exposures=(on("imatinib"),)), KNOWLEDGE), KNOWLEDGE
    )
    assert finding.response is not None and finding.response["eln"] == "failure"
    entries = {e["rule"]: e["colour"] for e in finding.extra["nccn"]}
    assert entries == {"nccn2024.m12.yellow": "yellow", "nccn2025.m12.unconfirmed": None}
    assert any("not confirmed" in line for line in finding.detail)


def test_kinetics_and_log_rise_are_in_the_detail() -> None:
    results = (result(3, 5.0), result(6, 0.5), result(12, 0.05), result(18, 0.8))
    [finding] = response_findings(
        state_of(snapshot(as_of_months=19, transcripts=results, tki_exposures=(on("imatinib"),)), KNOWLEDGE), KNOWLEDGE
    )
    text = "\n".join(finding.detail)
    assert "Loss of MMR" in text and "≥1-log rise" in text and "16-fold" in text
    assert finding.extra["logRise"] == 16.0


def test_tfr_goal_footnote_applies_only_with_the_goal() -> None:
    results = (result(12, 0.05), result(24, 0.05))
    with_goal = snapshot(as_of_months=25, transcripts=results, tki_exposures=(on("imatinib"),), tfr_goal=True)
    [finding] = response_findings(state_of(with_goal, KNOWLEDGE), KNOWLEDGE)
    assert finding.rules[0].id == "eln2020.tfr-goal.optimal" and not finding.verified
    without = snapshot(as_of_months=25, transcripts=results, tki_exposures=(on("imatinib"),))
    assert response_findings(state_of(without, KNOWLEDGE), KNOWLEDGE) == []
    in_mr4 = snapshot(as_of_months=25, transcripts=(result(24, 0.005),), tki_exposures=(on("imatinib"),), tfr_goal=True)
    assert response_findings(state_of(in_mr4, KNOWLEDGE), KNOWLEDGE) == []
