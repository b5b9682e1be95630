"""What the app shows, as data: the JSON of `GET /smart/api/course` and the input of the page and chart."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Course",
    "DoseStep",
    "Excluded",
    "FindingView",
    "KinaseDomainMarker",
    "Level",
    "Line",
    "MilestoneSpan",
    "Period",
    "ResultPoint",
    "RuleView",
    "SourceView",
    "ZoneBand",
]


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class Level(_View):
    """A horizontal reference line on the chart (10%, 1%, MMR 0.1%, MR4 0.01%, MR4.5 0.0032%)."""

    label: str
    percent: float


class ResultPoint(_View):
    taken: date
    percent: float = Field(description="reported value, or the sensitivity limit of an undetectable result")
    display: str = Field(description="as the card shows it: `0.5% IS`, `<0.0032% IS`")
    undetectable: bool
    level: str | None = Field(description="the deepest molecular response level the result shows (MR1 … MR5)")
    milestone: int | None = Field(
        description="the ELN milestone (months) it was judged by on the current line; 0 = any time"
    )
    zone: str | None = Field(description="optimal / warning / failure by that milestone; None off the current line")
    reference: str


class DoseStep(_View):
    start: date | None
    end: date | None
    dose: str = Field(description="as the cards write it: `nilotinib 400 mg ×2/day (800 mg/day)`")
    label: str = Field(description="as the band shows it, without the drug: `400 mg ×2/day`")
    mg_per_day: float | None = Field(serialization_alias="mgPerDay")
    change: str | None = Field(
        description="increase / decrease of the daily dose against the step before; None for the first step, "
        "an unchanged dose, or a dose not recorded"
    )
    reference: str


class Line(_View):
    """A line of therapy: consecutive records of one TKI; a dose change does not start a new line."""

    drug: str
    start: date | None
    end: date | None
    active: bool
    stop_reason: str | None = Field(serialization_alias="stopReason")
    doses: list[DoseStep]
    current: bool


class Period(_View):
    start: date
    end: date | None
    label: str


class MilestoneSpan(_View):
    """Where results are judged by one ELN milestone of a line (the algorithm's own windows, counted from the
    line's start). The current line's are what the cards judge by; an earlier line's end with that line."""

    months: int = Field(description="3, 6, 12; 0 = any time after the 12-month window")
    start: date
    end: date | None
    milestone_date: date | None = Field(serialization_alias="milestoneDate")
    line: int = Field(description="index of the line in `lines`")
    current: bool = Field(description="a window of the current line (an earlier line's are drawn faded)")


class ZoneBand(_View):
    """An ELN 2020 response band of one milestone, from the knowledge base (percent IS)."""

    months: int
    response: str
    above: float | None
    at_most: float | None = Field(serialization_alias="atMost")
    rule: str


class KinaseDomainMarker(_View):
    taken: date
    variants: list[str]
    method: str | None
    reference: str


class RuleView(_View):
    id: str
    guideline: str
    source: str
    verified: bool
    url: str


class SourceView(_View):
    """A source the finding's rules cite, once, as the card's detail names it."""

    label: str
    url: str
    verified: bool = Field(description="every rule of the finding taken from it is verified")


class FindingView(_View):
    code: str
    severity: str
    summary: str = Field(description="the card's summary")
    action: str = Field(description='the card\'s "What to do" line; empty when the finding has none')
    detail: list[str] = Field(description="the card's reasoning, paragraph by paragraph (Markdown, as on the card)")
    guideline: str
    verified: bool
    sources: list[SourceView]
    rules: list[RuleView]
    evidence: list[str]


class Excluded(_View):
    reference: str
    reason: str


class Course(_View):
    """One patient's BCR::ABL1 course and the service's findings, as of `as_of`."""

    patient: str = Field(description="the Patient resource's id")
    name: str | None = Field(description="the patient's name from the Patient resource; None when it has none")
    birth_date: date | None = Field(serialization_alias="birthDate")
    age: int | None = Field(description="completed years on `asOf`; None without a birth date")
    as_of: date = Field(serialization_alias="asOf")
    levels: list[Level]
    results: list[ResultPoint]
    lines: list[Line]
    current_line_start: date | None = Field(
        serialization_alias="currentLineStart", description="where the algorithm counts the milestones from"
    )
    milestones: list[MilestoneSpan]
    zones: list[ZoneBand]
    tfr: list[Period]
    transplant: date | None
    kinase_domain: list[KinaseDomainMarker] = Field(serialization_alias="kinaseDomain")
    findings: list[FindingView]
    excluded: list[Excluded]
    unavailable: list[str]
