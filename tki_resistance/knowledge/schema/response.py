"""Rows about the response: ELN milestones, NCCN bands, response levels, any-time criteria, monitoring,
mutation-testing triggers and TFR criteria."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import KnowledgeRow

__all__ = [
    "AnyTimeFailureRow",
    "Colour",
    "MilestoneRow",
    "MonitoringRow",
    "MonitoringSituation",
    "MutationTestingRow",
    "NccnRow",
    "ResponseLevelRow",
    "TestingTrigger",
    "TfrCriterionRow",
]


class MilestoneRow(KnowledgeRow):
    """A response band at a milestone: BCR::ABL1 IS percent in (above, at_most] is `response`.

    `months` 0 means "any time" (after the 12-month milestone). Bounds follow ELN 2020: optimal uses
    "≤", warning and failure use ">".
    """

    guideline: str
    months: Literal[0, 3, 6, 12]
    response: Literal["optimal", "warning", "failure"]
    above: float | None = Field(default=None, ge=0, description="exclusive lower bound, percent IS")
    at_most: float | None = Field(default=None, ge=0, description="inclusive upper bound, percent IS")
    requires_confirmation: bool = False
    goal: Literal["survival", "tfr"] = Field(default="survival", description="tfr: applies only with a TFR goal")


Colour = Literal["green", "yellow", "red"]


MonitoringSituation = Literal[
    "before-mmr",
    "in-mmr",
    "log-rise-in-mmr",
    "warning",
    "tfr-months-1-6",
    "tfr-months-7-12",
    "tfr-after-12",
    "after-sct",
    "own-scale",
    "own-scale-detectable",
]


TestingTrigger = Literal[
    "failure",
    "warning-rising",
    "loss-of-mmr",
    "log-rise",
    "above-1pct",
    "progression",
    "tfr-restart-no-mmr",
    "own-scale-log-rise",
]


class AnyTimeFailureRow(KnowledgeRow):
    """ELN 2020 verdicts beyond the BCR::ABL1 milestones: a resistance mutation or a high-risk ACA on the TKI
    (failure at any time), or a high-risk ACA at diagnosis (baseline warning)."""

    guideline: str
    criterion: Literal["resistance-mutation", "high-risk-aca", "high-risk-aca-baseline"]
    when: Literal["on-treatment", "at-diagnosis"] = Field(
        default="on-treatment",
        description="on-treatment: found while on the current TKI; at-diagnosis: present in the baseline karyotype",
    )
    response: Literal["failure", "warning"] = Field(default="failure", description="the ELN 2020 response class")
    abnormalities: list[str] = Field(
        default_factory=list, description="normalised ACA tokens (high-risk-aca, high-risk-aca-baseline)"
    )
    text: str


class NccnRow(KnowledgeRow):
    """An NCCN traffic-light band at 3, 6 or 12 months: BCR::ABL1 IS percent in (above, at_most] is `colour`."""

    guideline: str
    version: str = Field(description="the NCCN version the row encodes; colours change between versions")
    months: Literal[3, 6, 12]
    colour: Colour | None = Field(default=None, description="empty: this version's class is not confirmed")
    above: float | None = Field(default=None, ge=0)
    at_most: float | None = Field(default=None, ge=0)
    action: str = ""


class ResponseLevelRow(KnowledgeRow):
    """A molecular response level: detectable at most `at_most` % IS, or undetectable with enough control copies."""

    level: str
    at_most: float = Field(ge=0, description="inclusive upper bound, percent IS")
    control_gene: Literal["ABL1", "GUSB"] | None = Field(default=None, description="undetectable samples only")
    min_control_copies: int | None = Field(default=None, gt=0, description="EUTOS minimum control copies")


class TfrCriterionRow(KnowledgeRow):
    """One TFR criterion: guideline, tier (mandatory / minimal / optimal), and whether the record can show it."""

    guideline: str
    tier: Literal["mandatory", "minimal", "optimal"]
    criterion: str = Field(description="machine key the tfr stage evaluates, or 'manual'")
    text: str
    years: float | None = None


class MonitoringRow(KnowledgeRow):
    """The longest BCR::ABL1 testing interval for a situation."""

    guideline: str
    situation: MonitoringSituation
    interval_days: int = Field(gt=0)
    text: str
    remind_at_once: bool = Field(
        default=False, description="the situation itself calls for a repeat: shown at once, with the due date"
    )


class MutationTestingRow(KnowledgeRow):
    """A trigger for BCR::ABL1 kinase-domain mutation testing."""

    guideline: str
    trigger: TestingTrigger
    text: str
