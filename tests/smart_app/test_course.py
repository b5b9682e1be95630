"""The course the page draws: built from the algorithm's own functions, drawn with every kind of mark."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fhir_mapping import build_snapshot
from smart_app.chart import render_chart
from smart_app.course import build_course
from smart_app.view import Course
from tests.builders import bcr_abl1, bundle, patient, procedure, tki_statement
from tki_resistance import assess_state, build_state, default_knowledge
from tki_resistance.consolidation import consolidate
from tki_resistance.model import months_between
from tki_resistance.state.milestones import milestone_in_force

AS_OF = date(2026, 11, 22)


def _course(*resources: dict[str, Any]) -> Course:
    knowledge = default_knowledge()
    snapshot = build_snapshot("cml-1", {"all": bundle(patient(), *resources)}, AS_OF)
    state = build_state(snapshot, knowledge)  # #22: the course view reads the one clinical state of the call
    return build_course(state, consolidate(assess_state(state, knowledge)), knowledge)


def test_tfr_transplant_and_an_undetectable_without_limit_are_drawn_and_named() -> None:
    course = _course(
        tki_statement(
            "imatinib",
            date(2018, 1, 1),
            end=date(2023, 3, 1),
            status="stopped",
            dose_mg=400,
            statusReason=[{"text": "treatment-free remission"}],
        ),
        tki_statement("dasatinib", date(2023, 9, 1), dose_mg=100),
        bcr_abl1(date(2022, 6, 1), 0.0032, comparator="<"),
        bcr_abl1(date(2023, 8, 1), 0.5),
        bcr_abl1(date(2024, 1, 1), 0.0),  # "0": not detected, no limit reported
        procedure("58390007", date(2025, 2, 1), text="Allogeneic bone marrow transplant"),
    )
    svg = render_chart(course)
    assert [(p.start, p.end) for p in course.tfr] == [(date(2023, 3, 1), date(2023, 9, 1))]
    assert course.transplant == date(2025, 2, 1)
    assert 'class="tfr"' in svg and "TFR after imatinib" in svg
    assert 'class="transplant"' in svg and "allogeneic stem cell transplant 2025-02-01" in svg
    assert svg.count('class="result undetectable') == 2
    assert "undetectable, limit not reported" in svg
    assert svg.count('class="level"') == 5


def test_milestone_spans_are_where_the_algorithm_applies_each_milestone() -> None:
    start = date(2025, 1, 10)
    course = _course(tki_statement("nilotinib", start, dose_mg=600), bcr_abl1(date(2025, 4, 1), 5.0))
    spans = course.milestones
    assert [s.months for s in spans] == [3, 6, 12, 0]
    for span in spans:
        assert milestone_in_force(start, span.start) == span.months
        if span.end is not None:
            assert milestone_in_force(start, span.end) == span.months
            assert milestone_in_force(start, date.fromordinal(span.end.toordinal() + 1)) != span.months
    result = course.results[0]
    assert (result.milestone, result.zone) == (3, "optimal")


def test_every_mark_is_focusable_and_labelled() -> None:
    course = _course(tki_statement("imatinib", date(2025, 1, 1), dose_mg=400), bcr_abl1(date(2025, 4, 1), 12.0))
    svg = render_chart(course)
    marks = re.findall(r"<g class=\"(?:result|line|kd|tfr|transplant)[^>]*>", svg)
    assert marks
    assert all('tabindex="0"' in mark and "aria-label=" in mark for mark in marks)


def test_the_chart_counts_milestones_from_where_the_milestone_finding_does() -> None:
    """A tripwire for a change of what "the current line" is: chart and finding must move together."""
    course = _course(
        tki_statement(
            "imatinib",
            date(2024, 1, 10),
            end=date(2025, 1, 20),
            status="stopped",
            dose_mg=400,
            statusReason=[{"text": "resistance"}],
        ),
        tki_statement("nilotinib", date(2025, 2, 1), end=date(2025, 7, 31), status="completed", dose_mg=300, per_day=2),
        tki_statement("nilotinib", date(2025, 8, 1), dose_mg=400, per_day=2),
        bcr_abl1(date(2025, 11, 5), 0.05),
        bcr_abl1(date(2026, 10, 1), 0.3),
    )
    finding = next(f for f in course.findings if f.code.startswith("milestone-"))
    latest = course.results[-1]
    assert course.current_line_start is not None
    months = round(months_between(course.current_line_start, latest.taken), 1)
    assert f"at {months:g} months" in finding.summary
    assert latest.zone is not None and f"ELN 2020 {latest.zone}" in finding.summary  # "(ELN 2020 warning)" (#11)
