"""The course the page draws: built from the algorithm's own functions, drawn with every kind of mark."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from msgspec.structs import replace

from fhir_mapping import build_snapshot
from smart_app.chart import render_chart
from smart_app.course import age_on, build_course, patient_name
from smart_app.page import course_page
from smart_app.view import Course
from tests.builders import bcr_abl1, bundle, patient, procedure, tki_statement
from tki_resistance import assess_state, build_state, default_knowledge
from tki_resistance.consolidation import consolidate
from tki_resistance.findings import Finding, FindingCode, RuleRef, Severity
from tki_resistance.model import months_between
from tki_resistance.state.milestones import milestone_in_force

AS_OF = date(2026, 11, 22)


def _course(*resources: dict[str, Any], name: str | None = None, person: dict[str, Any] | None = None) -> Course:
    knowledge = default_knowledge()
    snapshot = build_snapshot("cml-1", {"all": bundle(person or patient(), *resources)}, AS_OF)
    state = build_state(snapshot, knowledge)  # #22: the course view reads the one clinical state of the call
    return build_course(state, consolidate(assess_state(state, knowledge)), knowledge, name=name)


def _two_lines() -> tuple[dict[str, Any], ...]:
    """Imatinib failed, then nilotinib raised from 300 to 400 mg twice daily (the browser test's patient)."""
    return (
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


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (
            [{"use": "old", "family": "Dupont", "given": ["Claire"]}, {"family": "Moreau", "given": ["Claire"]}],
            "Claire Moreau",
        ),
        (
            [{"use": "usual", "given": ["Claire"]}, {"use": "official", "text": " Claire  A. Moreau "}],
            "Claire A. Moreau",
        ),
        ([{"family": "Moreau", "period": {"end": "2020-01-01"}}, {"given": ["Anne"], "family": "Roy"}], "Anne Roy"),
        ([{"use": "anonymous", "text": "Patient X"}], None),
        ([{"use": "official"}], None),
        ("not a list", None),
    ],
)
def test_the_name_shown_is_the_patients_current_official_one(names: object, expected: str | None) -> None:
    assert patient_name({"resourceType": "Patient", "id": "cml-1", "name": names}, AS_OF) == expected


def test_the_name_is_read_from_a_patient_alone_or_in_a_bundle() -> None:
    named = {"resourceType": "Patient", "id": "cml-1", "name": [{"given": ["Claire"], "family": "Moreau"}]}
    assert patient_name(bundle(named), AS_OF) == "Claire Moreau"
    assert patient_name({"resourceType": "Patient", "id": "cml-1"}, AS_OF) is None
    assert patient_name(None, AS_OF) is None


def test_the_age_is_in_completed_years_on_the_day() -> None:
    assert age_on(date(1960, 11, 22), AS_OF) == 66  # the birthday itself
    assert age_on(date(1960, 11, 23), AS_OF) == 65
    assert age_on(date(2000, 2, 29), date(2025, 2, 28)) == 24
    assert age_on(None, AS_OF) is None
    assert age_on(date(2027, 1, 1), AS_OF) is None  # a birth date after the day: no age, never a negative one


def test_the_header_names_the_patient_and_falls_back_to_the_id() -> None:
    named = course_page(_course(name="Claire Moreau"), "n", "k")
    header = named[named.index("<header>") : named.index("</header>")]
    assert '<span id="patient-name">Claire Moreau</span>' in header
    assert '<span id="patient-birth">1960-04-02</span>' in header and "66 years" in header
    assert "cml-1" not in header
    unnamed = course_page(_course(person={"resourceType": "Patient", "id": "cml-1"}), "n", "k")
    header = unnamed[unnamed.index("<header>") : unnamed.index("</header>")]
    assert "Patient cml-1" in header and "birth date not recorded" in header


def test_every_line_has_its_milestone_windows_an_earlier_lines_within_it() -> None:
    course = _course(*_two_lines())
    imatinib, nilotinib = course.lines
    past = [span for span in course.milestones if not span.current]
    current = [span for span in course.milestones if span.current]
    assert {span.line for span in past} == {0} and {span.line for span in current} == {1}
    assert [span.months for span in past] == [3, 6, 12]  # stopped before the any-time window opened
    assert [span.months for span in current] == [3, 6, 12, 0]
    assert imatinib.start is not None and imatinib.end is not None
    for span in past:
        assert milestone_in_force(imatinib.start, span.start) == span.months
        assert span.end is not None and span.end <= imatinib.end
        assert span.milestone_date is None or span.milestone_date <= imatinib.end
    assert past[-1].end == imatinib.end
    assert current[0].start >= (nilotinib.start or AS_OF) and current[-1].end is None
    svg = render_chart(course)
    assert svg.count('class="milestone past"') == 3 and svg.count('class="milestone"') == 3


def test_each_band_names_its_drug_and_doses_and_marks_the_change() -> None:
    course = _course(*_two_lines())
    nilotinib = course.lines[1]
    assert [(d.label, d.mg_per_day, d.change) for d in nilotinib.doses] == [
        ("300 mg ×2/day", 600.0, None),
        ("400 mg ×2/day", 800.0, "increase"),
    ]
    svg = render_chart(course)
    band = svg[svg.index('<g class="line drug-nilotinib') :]
    band = band[: band.index("</g>")]
    assert '<text class="line-label" x="4" y="12">nilotinib</text>' in band
    assert 'data-dose="300 mg ×2/day"' in band and "▲ 400 mg ×2/day" in band
    assert band.count('class="dose-change"') == 1
    assert "nilotinib dose raised 2025-08-01: 300 mg ×2/day → 400 mg ×2/day" in band


def test_a_renewed_statement_at_the_same_dose_is_not_a_dose_change() -> None:
    course = _course(
        tki_statement("imatinib", date(2025, 1, 1), end=date(2025, 6, 30), status="completed", dose_mg=400),
        tki_statement("imatinib", date(2025, 7, 1), dose_mg=400),
        bcr_abl1(date(2025, 4, 1), 5.0),
    )
    assert [d.change for d in course.lines[0].doses] == [None, None]
    svg = render_chart(course)
    assert 'class="dose-change"' not in svg and svg.count('class="dose-step clip"') == 1


def _finding(detail: tuple[str, ...], action: str) -> Finding:
    rule = RuleRef("eln2020.m6.failure", "ELN 2020", "P1: Hochhaus", True, "text", "https://doi.org/x", "ELN 2020")
    unverified = RuleRef("course.line.x", "cml-cds", "K: recalled", False, "text", "", "cml-cds as recalled")
    return Finding(
        FindingCode.MILESTONE_FAILURE, Severity.WARNING, "Change TKI", (rule, unverified), detail=detail, action=action
    )


def test_a_finding_shows_summary_and_what_to_do_and_keeps_rules_and_sources_collapsed() -> None:
    knowledge = default_knowledge()
    state = build_state(build_snapshot("cml-1", {"all": bundle(patient(), *_two_lines())}, AS_OF), knowledge)
    finding = _finding(("**Why** it <script>x</script>", "- `Observation/1`"), "**Change** the TKI.")
    course = build_course(state, [finding], knowledge)
    view = course.findings[0]
    assert (view.summary, view.action) == ("Change TKI", "**Change** the TKI.")
    assert [(s.label, s.verified) for s in view.sources] == [("ELN 2020", True), ("cml-cds as recalled", False)]
    html = course_page(course, "n", "k")
    item = html[html.index('<li class="warning" data-code="milestone-failure">') :]
    item = item[: item.index("</details>")]
    before, collapsed = item.split("<details>")
    # the card's bold in "What to do" is bold on the page, not asterisks (the pregnancy card's "**Stop …**")
    assert '<p class="todo"><span class="todo-label">What to do:</span> <strong>Change</strong> the TKI.</p>' in before
    assert "unverified rule" in before
    assert "eln2020.m6.failure" not in before and "ELN 2020" not in before
    assert "eln2020.m6.failure" in collapsed and "course.line.x" in collapsed and "UNVERIFIED" in collapsed
    assert '<a href="https://doi.org/x" rel="noopener noreferrer" target="_blank">ELN 2020</a>' in collapsed
    assert "<strong>Why</strong> it &lt;script&gt;x&lt;/script&gt;" in collapsed  # the card's Markdown, escaped
    assert "<ul><li><code>Observation/1</code></li></ul>" in collapsed
    assert "<script>" not in html


def test_a_finding_without_an_action_has_no_what_to_do_line() -> None:
    knowledge = default_knowledge()
    state = build_state(build_snapshot("cml-1", {"all": bundle(patient())}, AS_OF), knowledge)
    html = course_page(build_course(state, [replace(_finding((), ""), rules=())], knowledge), "n", "k")
    assert 'class="todo"' not in html and 'class="print-sources"' not in html
