"""The worklist row of every course equals its patient-view cards (issue #26: a row and a card never disagree).

The course set (bench.courses.COURSES) and 300 generated courses (tests/coherence/corpus.py) are written as a
Bulk Data export, run through `cml-cds worklist` as of the same day the hook is asked, and each course's row is
compared with the cards the real app answers for the course's own request: the row's finding, summary and
indicator are the first card's, its codes are every card's, in order; a course whose cards are only
`data-excluded`, or none, has no row.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.builders import TODAY
from tests.worklist.conftest import SECRET, CourseCall
from worklist.assess import Category
from worklist.runner import Options, run


def _code(card: dict[str, Any]) -> str:
    code: str = card["extension"]["org.cmlcds.finding"]["code"]
    return code


@pytest.fixture(scope="module")
def rows(course_export: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("worklist")
    summary = run(Options(course_export, out, TODAY, SECRET, reveal_ids=True, workers=2, progress=False))
    assert summary.errors == 0 and summary.skipped == 0
    document = json.loads((out / "worklist.json").read_text())
    return {row["patient"]: row for row in document["rows"]}


def test_every_course_row_is_its_cards(rows: dict[str, dict[str, Any]], course_calls: list[CourseCall]) -> None:
    mismatches = []
    for call in course_calls:
        codes = [_code(card) for card in call.cards]
        row = rows.get(call.patient)
        if not [c for c in codes if c != "data-excluded"]:
            if row is not None:
                mismatches.append(f"{call.name}: a row {row['finding']} but no actionable card")
            continue
        if row is None:
            mismatches.append(f"{call.name}: cards {codes} but no row")
            continue
        first = call.cards[0]
        if (row["finding"], row["summary"], row["indicator"], row["codes"]) != (
            codes[0],
            first["summary"],
            first["indicator"],
            codes,
        ):
            mismatches.append(f"{call.name}: row {row['finding']} {row['codes']} != cards {codes}")
    assert not mismatches, "\n".join(mismatches)


def test_the_course_set_covers_the_categories(rows: dict[str, dict[str, Any]]) -> None:
    """The courses hold every finding the issue's categories are made of, so the comparison above covers
    them (a patient's category is the most urgent one, so the codes are counted, not the categories)."""
    seen = {code for row in rows.values() for code in row["codes"]}
    wanted = {
        "relapse",
        "milestone-failure",
        "advanced-phase",
        "avoid-tki",
        "mutation-testing",
        "monitoring-due",
        "tfr-eligible",
    }
    assert wanted <= seen, sorted(wanted - seen)
    assert {row["category"] for row in rows.values()} >= {
        Category.FAILURE,
        Category.PROGRESSION,
        Category.MUTATION_TESTING,
        Category.MONITORING_OVERDUE,
        Category.TFR_ELIGIBLE,
    }
