"""Rows about the course of the disease: phase criteria and the age of their evidence, transplant referral,
course rules (lines, TFR, transcripts, discordance) and pregnancy."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import KnowledgeRow, Tki

__all__ = [
    "CourseRule",
    "CourseRuleRow",
    "EvidenceWindowRow",
    "PhaseEvidence",
    "PhaseRow",
    "PregnancyCodeRow",
    "PregnancyMeaning",
    "PregnancyRuleRow",
    "SctReferralRow",
]


class PhaseRow(KnowledgeRow):
    """A disease-phase criterion of one scheme: a measurement ≥ at_least (or > above) and < below, exactly as
    the source compares it, an abnormality, or
    the phase (or extramedullary blasts) recorded in the chart."""

    guideline: str
    scheme: str
    phase: Literal["accelerated", "blast"]
    measure: Literal["blasts", "blasts-promyelocytes", "basophils", "platelets"] | None = Field(
        default=None, description="blasts / blasts+promyelocytes / basophils in %, platelets in 10^9/L"
    )
    at_least: float | None = Field(default=None, description="the measure ≥ this")
    above: float | None = Field(default=None, description="the measure > this (where the source says '>')")
    below: float | None = Field(default=None, description="the measure < this")
    off_therapy_only: bool = Field(
        default=False, description="the criterion needs a value unrelated to therapy: applied only off TKI"
    )
    abnormalities: list[str] = Field(default_factory=list)
    recorded: bool = Field(default=False, description="true: the phase recorded in the chart")
    extramedullary: bool = Field(default=False, description="true: extramedullary blasts recorded in the chart")


PhaseEvidence = Literal[
    "blasts",
    "blasts-promyelocytes",
    "basophils",
    "platelets",
    "karyotype",
    "recorded-phase",
    "pregnancy",
    "breastfeeding",
]


class EvidenceWindowRow(KnowledgeRow):
    """How old a blast count, blood count, karyotype or recorded phase may be and still define the phase today
    (and a pregnancy or breastfeeding record still describe the patient today)."""

    evidence: PhaseEvidence
    max_age_days: int = Field(gt=0)
    text: str


class SctReferralRow(KnowledgeRow):
    """A situation in which allogeneic stem cell transplant evaluation is indicated."""

    guideline: str
    situation: Literal[
        "two-tkis-failed",
        "compound-resistant",
        "advanced-phase",
        "t315i-ponatinib-resistant",
        "intolerant-all-options",
        "advanced-history-response-lost",
    ]
    text: str


CourseRule = Literal[
    "line-same-tki",
    "line-interruption",
    "tfr-loss-of-mmr",
    "tfr-failed-attempt",
    "sct-molecular-relapse",
    "sct-relapse-treatment",
    "sct-no-referral",
    "atypical-transcript",
    "new-diagnosis",
    "log-rise-floor",
    "halving-time-window",
    "discordant-results",
    "recorded-phase-response",
    "own-scale",
    "own-scale-kd-floor",
    "own-scale-no-quantitative",
    "tki-missing",
]


class CourseRuleRow(KnowledgeRow):
    """A rule about the course across lines and off treatment: lines, TFR, transplant, transcripts, kinetics.

    `days`, `percent` and `months` hold the rule's number where it has one (an interruption length, an
    assay floor, a window); `log_difference` and `thresholds` the discordance rule's log gap and the % IS
    decision thresholds two results may not straddle.
    """

    guideline: str
    rule: CourseRule
    text: str
    days: int | None = Field(default=None, gt=0)
    percent: float | None = Field(default=None, gt=0)
    months: float | None = Field(default=None, gt=0)
    log_difference: float | None = Field(default=None, gt=0, description="log10 difference between two results")
    thresholds: list[float] = Field(default_factory=list, description="BCR::ABL1 % IS decision thresholds")


PregnancyMeaning = Literal[
    "pregnancy-status",
    "delivery-date",
    "breastfeeding-status",
    "pregnant",
    "not-pregnant",
    "unknown",
    "breastfeeding",
    "not-breastfeeding",
    "planning",
]


class PregnancyCodeRow(KnowledgeRow):
    """A code (or a phrase) the FHIR mapping reads as pregnancy, breastfeeding or a planned pregnancy; a code
    not listed here is never guessed."""

    element: Literal["observation-code", "observation-answer", "condition-code", "text"] = Field(
        description="observation-code: the Observation's code (the question); observation-answer: its "
        "valueCodeableConcept; condition-code: a Condition's code; text: a phrase in Condition or Goal text"
    )
    system: Literal["loinc", "snomed", "icd10", "text"] = Field(description="icd10 codes match by prefix")
    code: str = Field(min_length=2)
    display: str
    meaning: PregnancyMeaning


class PregnancyRuleRow(KnowledgeRow):
    """What a TKI means in pregnancy, while breastfeeding, or when a pregnancy is planned (labels, reviews)."""

    guideline: str
    situation: Literal["pregnant", "first-trimester", "breastfeeding", "planning", "alternatives", "male"]
    tki: Tki | Literal["any"]
    strength: Literal["stop", "warning", "info"] = Field(
        default="info", description="stop: critical card (label: do not use / contraindicated); warning; info"
    )
    text: str
