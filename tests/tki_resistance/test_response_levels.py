"""Molecular response levels: every detectable band and every EUTOS copy threshold fires and does not."""

from __future__ import annotations

import pytest

from tki_resistance.knowledge.schema import ResponseLevelRow
from tki_resistance.model import Comparator, TranscriptResult
from tki_resistance.state.response_levels import molecular_level

from .scenarios import KNOWLEDGE, day

DETECTABLE = [r for r in KNOWLEDGE.response_levels if r.control_gene is None]
EUTOS = [r for r in KNOWLEDGE.response_levels if r.control_gene is not None]


@pytest.mark.parametrize("row", DETECTABLE, ids=lambda r: r.id)
def test_level_fires_at_its_bound_and_not_above(row: ResponseLevelRow) -> None:
    at = molecular_level(TranscriptResult("o", day(1), row.at_most), KNOWLEDGE.response_levels)
    assert at is not None and at.id == row.id
    above = molecular_level(TranscriptResult("o", day(1), row.at_most * 1.01), KNOWLEDGE.response_levels)
    assert above is None or above.id != row.id


def _undetectable(row: ResponseLevelRow, copies: int) -> TranscriptResult:
    return TranscriptResult(
        "o",
        day(1),
        row.at_most,
        Comparator.LESS_THAN,
        detected=False,
        control_gene=row.control_gene,
        control_copies=copies,
    )


@pytest.mark.parametrize("row", EUTOS, ids=lambda r: r.id)
def test_undetectable_scores_the_level_only_with_enough_control_copies(row: ResponseLevelRow) -> None:
    copies = row.min_control_copies
    assert copies is not None  # every row with a control gene names its minimum copies
    scored = molecular_level(_undetectable(row, copies), KNOWLEDGE.response_levels)
    assert scored is not None and scored.id == row.id
    short = molecular_level(_undetectable(row, copies - 1), KNOWLEDGE.response_levels)
    assert short is None or short.id != row.id


def test_too_few_copies_cannot_be_a_deep_response() -> None:
    sample = TranscriptResult(
        "o", day(1), 0.0032, Comparator.LESS_THAN, detected=False, control_gene="ABL1", control_copies=5000
    )
    level = molecular_level(sample, KNOWLEDGE.response_levels)
    assert level is not None and level.level == "MMR"
