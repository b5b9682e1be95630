"""Snapshot + findings → `Course`: what the page draws, taken from the algorithm's own functions.

Nothing clinical is decided here. Treatment lines come from `course.with_lines` (as `assess` derives them),
milestone windows from `milestone_in_force` counted from each line's start (the current line's are what the
cards judge by), the zone of each result from `assess_history` (as the service judged it when it was the
latest), response levels and ELN bands from the knowledge base, findings from `assess`. The patient's name is
read from the Patient resource. This module only labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from tki_resistance.evidence import format_dose, format_percent
from tki_resistance.findings import Finding
from tki_resistance.knowledge.loader import Knowledge
from tki_resistance.model import (
    DETECTION_LIMIT,
    PatientSnapshot,
    StopReason,
    TkiExposure,
    TranscriptResult,
    TreatmentLine,
)
from tki_resistance.state import ClinicalState
from tki_resistance.state.milestones import MILESTONE_WINDOW_DAYS, milestone_in_force
from tki_resistance.state.response_levels import molecular_level

from .view import (
    Course,
    DoseStep,
    Excluded,
    FindingView,
    KinaseDomainMarker,
    Level,
    Line,
    MilestoneSpan,
    Period,
    ResultPoint,
    RuleView,
    SourceView,
    ZoneBand,
)

__all__ = ["age_on", "build_course", "patient_name"]

#: The reference lines the issue asks for, by the knowledge base's level names.
_LEVELS = ("MR1", "MR2", "MMR", "MR4", "MR4.5")
_LEVEL_LABEL = {"MR1": "10%", "MR2": "1%"}
_SCAN_DAYS = 450  # past the 12-month window (≈ 365 + 42 days), where "any time" applies


def _levels(knowledge: Knowledge) -> list[Level]:
    rows = {row.level: row for row in knowledge.response_levels if row.control_gene is None}
    return [
        Level(label=_LEVEL_LABEL.get(name, f"{name} {rows[name].at_most:g}%"), percent=rows[name].at_most)
        for name in _LEVELS
        if name in rows
    ]


def _undetectable(result: TranscriptResult) -> bool:
    return not result.detected or result.comparator in DETECTION_LIMIT


def _results(state: ClinicalState, knowledge: Knowledge) -> list[ResultPoint]:
    """Every result as recorded (discordant ones too: the chart shows what the laboratory sent), each judged
    as the clinical state judged it when it was the latest."""
    judged: dict[str, tuple[int, str]] = {}
    for result, assessment in state.history:
        if assessment is not None and assessment.result is result:
            judged[result.source] = (assessment.milestone, assessment.category.value)
    points: list[ResultPoint] = []
    for result in state.series.recorded:
        level = molecular_level(result, knowledge.response_levels)
        milestone, zone = judged.get(result.source, (None, None))
        points.append(
            ResultPoint(
                taken=result.taken,
                percent=result.percent_is,
                display=format_percent(result),
                undetectable=_undetectable(result),
                level=level.level if level else None,
                milestone=milestone,
                zone=zone,
                reference=result.source,
            )
        )
    return points


def _dose_label(exposure: TkiExposure) -> str:
    """The dose as the band shows it, without the drug: `400 mg ×2/day`, `400 mg/day`."""
    if exposure.daily_dose_mg is None:
        return exposure.dose_text or "dose not recorded"
    if exposure.doses_per_day and exposure.doses_per_day > 1:
        return f"{exposure.daily_dose_mg / exposure.doses_per_day:g} mg ×{exposure.doses_per_day}/day"
    return f"{exposure.daily_dose_mg:g} mg/day"


def _change(before: TkiExposure | None, after: TkiExposure) -> str | None:
    if before is None or before.daily_dose_mg is None or after.daily_dose_mg is None:
        return None
    if after.daily_dose_mg > before.daily_dose_mg:
        return "increase"
    return "decrease" if after.daily_dose_mg < before.daily_dose_mg else None


def _doses(line: TreatmentLine) -> list[DoseStep]:
    return [
        DoseStep(
            start=record.start,
            end=record.end,
            dose=format_dose(record),
            label=_dose_label(record),
            mg_per_day=record.daily_dose_mg,
            change=_change(line.records[index - 1] if index else None, record),
            reference=record.source,
        )
        for index, record in enumerate(line.records)
    ]


def _lines(snapshot: PatientSnapshot) -> list[Line]:
    """The algorithm's treatment lines (`course.with_lines`): a dose change or a short gap is not a new line."""
    current = snapshot.current_line
    return [
        Line(
            drug=line.drug,
            start=line.start,
            end=line.end,
            active=line.active,
            stop_reason=None if line.active else (line.stop_reason or StopReason.UNKNOWN).value,
            doses=_doses(line),
            current=line is current,
        )
        for line in snapshot.lines or ()
    ]


def _tfr(lines: list[Line]) -> list[Period]:
    periods: list[Period] = []
    for index, line in enumerate(lines):
        if line.stop_reason == StopReason.TFR.value and line.end is not None:
            following = lines[index + 1].start if index + 1 < len(lines) else None
            periods.append(Period(start=line.end, end=following, label=f"TFR after {line.drug}"))
    return periods


def _windows(start: date, until: date | None) -> list[tuple[int, date, date | None]]:
    """(months, first day, last day) where each milestone is in force, day by day over the first 15 months
    from `start`, cut at `until` (the end of an earlier line); the last window of the current line is open."""
    spans: list[tuple[int, date, date | None]] = []
    previous: int | None = None
    for offset in range(_SCAN_DAYS + 1):
        day = start + timedelta(days=offset)
        if until is not None and day > until:
            break
        months = milestone_in_force(start, day)
        if months == previous:
            continue
        if spans:
            spans[-1] = (spans[-1][0], spans[-1][1], day - timedelta(days=1))
        if months is not None:
            spans.append((months, day, None))
        previous = months
    if until is not None and spans and spans[-1][2] is None:
        spans[-1] = (spans[-1][0], spans[-1][1], until)
    return spans


def _milestones(snapshot: PatientSnapshot) -> list[MilestoneSpan]:
    """The milestone windows of every line with a start: the current line's as the cards count them (from
    its start, `current_tki.start`), an earlier line's up to the day it ended (or the next line began)."""
    current = snapshot.current_line
    lines = list(snapshot.lines or ())
    spans: list[MilestoneSpan] = []
    for index, line in enumerate(lines):
        start = snapshot.current_tki.start if line is current and snapshot.current_tki else line.start
        if start is None:
            continue
        following = next((later.start for later in lines[index + 1 :] if later.start is not None), None)
        until = None if line is current else min((d for d in (line.end, following) if d is not None), default=None)
        if line is not current and until is None:
            until = snapshot.as_of
        for months, first, last in _windows(start, until):
            opens = months in (3, 6, 12)
            due = first + timedelta(days=MILESTONE_WINDOW_DAYS) if opens else None
            if due is not None and until is not None and due > until:
                due = None  # the line ended before this milestone came
            spans.append(
                MilestoneSpan(
                    months=months,
                    start=first,
                    end=last,
                    milestone_date=due,
                    line=index,
                    current=line is current,
                )
            )
    return spans


def _zones(knowledge: Knowledge) -> list[ZoneBand]:
    return [
        ZoneBand(months=row.months, response=row.response, above=row.above, at_most=row.at_most, rule=row.id)
        for row in knowledge.milestones
        if not row.requires_confirmation and row.goal == "survival"
    ]


def _sources(finding: Finding) -> list[SourceView]:
    """Each source once, in the order the rules cite them, as the card's detail does (`cds_hooks.cards`)."""
    seen: dict[str, SourceView] = {}
    for rule in finding.rules:
        label = rule.label or rule.source.split(": ", 1)[0]
        known = seen.get(label)
        seen[label] = SourceView(
            label=label,
            url=(known.url if known else "") or rule.url,
            verified=(known.verified if known else True) and rule.verified,
        )
    return list(seen.values())


def _finding(finding: Finding) -> FindingView:
    evidence = [
        f"{item.label}: {item.value}"
        + (f" ({item.date})" if item.date else "")
        + (f" — {item.reference}" if item.reference else "")
        for item in finding.evidence
    ]
    return FindingView(
        code=finding.code.value,
        severity=finding.severity.value,
        summary=finding.summary,
        action=finding.action,
        detail=list(finding.detail),
        guideline=finding.guideline,
        verified=finding.verified,
        sources=_sources(finding),
        rules=[
            RuleView(id=r.id, guideline=r.guideline, source=r.source, verified=r.verified, url=r.url)
            for r in finding.rules
        ],
        evidence=evidence,
    )


def _name_text(name: Mapping[str, Any]) -> str:
    text = name.get("text")
    if isinstance(text, str) and text.strip():
        return " ".join(text.split())
    given = name.get("given")
    parts = [g for g in given if isinstance(g, str)] if isinstance(given, list) else []
    family = name.get("family")
    if isinstance(family, str):
        parts.append(family)
    return " ".join(" ".join(parts).split())


def _patient_resource(resource: object) -> Mapping[str, Any] | None:
    """The Patient itself, or the first Patient of a Bundle (a prefetch may send either)."""
    if not isinstance(resource, Mapping):
        return None
    if resource.get("resourceType") == "Patient":
        return resource
    entries = resource.get("entry") if resource.get("resourceType") == "Bundle" else None
    for entry in entries if isinstance(entries, list) else ():
        found = entry.get("resource") if isinstance(entry, Mapping) else None
        if isinstance(found, Mapping) and found.get("resourceType") == "Patient":
            return found
    return None


def patient_name(resource: object, on: date) -> str | None:
    """The name to show for the Patient resource on `on`: its official name, else its usual one, else the
    first in use (names marked old or anonymous, or whose period ended before `on`, are passed over);
    `text` as written, else the given names and the family name. None when the record has no usable name."""
    patient = _patient_resource(resource)
    names = patient.get("name") if patient is not None else None
    usable: list[tuple[int, str]] = []
    for name in names if isinstance(names, list) else ():
        if not isinstance(name, Mapping) or name.get("use") in ("old", "anonymous"):
            continue
        period = name.get("period")
        ended = period.get("end") if isinstance(period, Mapping) else None
        if isinstance(ended, str) and ended[:10] < on.isoformat():
            continue
        text = _name_text(name)
        if text:
            usable.append(({"official": 0, "usual": 1}.get(str(name.get("use")), 2), text))
    return min(usable, key=lambda item: item[0])[1] if usable else None


def age_on(birth: date | None, on: date) -> int | None:
    """Completed years on `on`; None without a birth date or with one after `on`."""
    if birth is None or birth > on:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def build_course(
    state: ClinicalState, findings: list[Finding], knowledge: Knowledge, *, name: str | None = None
) -> Course:
    """`findings` are the consolidated findings of `state`; the lines and judgements are the state's own.
    `name` is the patient's name (`patient_name` of the Patient resource); the birth date is the snapshot's."""
    snapshot = state.snapshot
    lines = _lines(snapshot)
    return Course(
        patient=snapshot.patient_id,
        name=name,
        birth_date=snapshot.birth_date,
        age=age_on(snapshot.birth_date, snapshot.as_of),
        as_of=snapshot.as_of,
        levels=_levels(knowledge),
        results=_results(state, knowledge),
        lines=lines,
        current_line_start=snapshot.current_tki.start if snapshot.current_tki else None,
        milestones=_milestones(snapshot),
        zones=_zones(knowledge),
        tfr=_tfr(lines),
        transplant=snapshot.allogeneic_transplant,
        kinase_domain=[
            KinaseDomainMarker(
                taken=test.taken, variants=[v.name for v in test.variants], method=test.method, reference=test.source
            )
            for test in sorted(snapshot.kinase_domain_tests, key=lambda t: t.taken)
        ],
        findings=[_finding(f) for f in findings],
        excluded=[Excluded(reference=e.reference, reason=e.reason) for e in snapshot.exclusions],
        unavailable=list(snapshot.unavailable),
    )
