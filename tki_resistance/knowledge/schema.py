"""Row schemas for the knowledge tables: one pydantic model per table, one row per fact.

Every row names its `source` (a key of `sources.toml`) and says whether the fact was `verified` against
that source. Adding a table means adding a model here and registering it in `TABLES`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "TABLES",
    "AnyTimeFailureRow",
    "ComorbidityCautionRow",
    "CompoundRuleRow",
    "CourseRuleRow",
    "DoseRow",
    "DrugClassRow",
    "EvidenceWindowRow",
    "ExtrinsicCheckRow",
    "IndicationRow",
    "InteractionRow",
    "KnowledgeRow",
    "MilestoneRow",
    "MonitoringRow",
    "MutationRuleRow",
    "MutationTestingRow",
    "NccnRow",
    "OrderingRuleRow",
    "OrganFunctionRow",
    "PhaseRow",
    "PolymorphismRow",
    "PregnancyCodeRow",
    "PregnancyRuleRow",
    "ResponseLevelRow",
    "SctReferralRow",
    "SourceRow",
    "TfrCriterionRow",
]

Tki = Literal["imatinib", "dasatinib", "nilotinib", "bosutinib", "ponatinib", "asciminib"]
Phase = Literal["chronic", "accelerated", "blast"]


class KnowledgeRow(BaseModel):
    """Fields every fact carries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-_]*$", description="stable rule id")
    source: str = Field(description="key of sources.toml")
    verified: bool = Field(
        description="checked against its primary source (false: from memory, or known only through a secondary "
        "document such as a payer policy)"
    )
    note: str = ""


class SourceRow(BaseModel):
    """A citable source: guideline, review, label or seed document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    citation: str
    guideline: str = Field(description="how a card names it, e.g. 'ELN 2020', 'NCCN 2025', 'label'")
    label: str = Field(min_length=3, description="how a card cites it: guideline or authors, version and year")
    year: int | None = Field(default=None, ge=1990, le=2100, description="year of the version cited")
    url: str = ""

    @model_validator(mode="after")
    def _label_names_the_year(self) -> SourceRow:
        """A card's citation must carry the version's year, or say plainly that there is none."""
        if self.year is not None and str(self.year) not in self.label:
            raise ValueError(f"label {self.label!r} does not name the year {self.year}")
        undated = "undated" in self.label or self.guideline in ("unverified", "cml-cds")
        if self.year is None and not undated:
            raise ValueError(f"source {self.key!r} has no year: give `year` or say 'undated' in the label")
        return self


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


class MutationRuleRow(KnowledgeRow):
    """A guideline's statement about TKIs and kinase-domain mutations (or transcript types).

    `effect` avoid: the TKIs are ineffective; caution: less active (shown, not excluded); option: the
    guideline lists the TKIs as options (kept to show where guidelines disagree). `mutations` "*" = any.
    """

    guideline: str
    tkis: list[Tki] = Field(min_length=1)
    mutations: list[str] = Field(default_factory=list)
    transcripts: list[str] = Field(default_factory=list, description="transcript types (e13a3, …)")
    effect: Literal["avoid", "caution", "option", "not-atp-site"] = Field(
        description="not-atp-site: the wildcard ('*') rows for these TKIs do not apply to these mutations"
    )


class PolymorphismRow(KnowledgeRow):
    """A germline ABL1 polymorphism reported like a kinase-domain mutation: not a resistance mutation."""

    change: str = Field(description="one-letter protein change without 'p.' (K247R)")
    text: str


class CompoundRuleRow(KnowledgeRow):
    """A rule for compound mutations (two changes on one molecule); `requires` components, empty = any."""

    guideline: str
    requires: list[str] = Field(default_factory=list)
    excluded_requires: list[str] = Field(default_factory=list, description="does not apply when these present")
    avoid: list[Tki] = Field(default_factory=list)
    union_of_components: bool = False
    after_resistance_to: list[Tki] = Field(
        default_factory=list, description="applies only once the patient failed one of these TKIs for resistance"
    )
    options: str = ""


class DoseRow(KnowledgeRow):
    """A standard dose: TKI, line (first / later / any), phase (chronic / accelerated / blast / advanced = accelerated
    or blast / any), situation."""

    tki: Tki
    line: Literal["first", "later", "any"]
    phase: Literal["chronic", "advanced", "accelerated", "blast", "any"] = Field(
        description="advanced: accelerated or blast phase; a TKI not approved in blast phase has an 'accelerated' row"
    )
    situation: Literal[
        "standard",
        "t315i",
        "response-le-1pct",
        "after-primary-ponatinib-failure",
        "hepatic-impairment",
        "renal-impairment",
        "label-maximum",
    ] = "standard"
    daily_mg: float = Field(gt=0)
    doses_per_day: int = Field(ge=1)
    text: str
    crcl_at_least: float | None = Field(default=None, description="renal-impairment: CrCl ≥ this (mL/min)")
    crcl_at_most: float | None = Field(default=None, description="renal-impairment: CrCl ≤ this (mL/min)")
    crcl_below: float | None = Field(default=None, description="renal-impairment: CrCl < this (mL/min)")
    child_pugh: list[Literal["A", "B", "C"]] = Field(
        default_factory=list, description="hepatic-impairment: the Child-Pugh classes the row covers (empty: any)"
    )
    max_daily_mg: float | None = Field(default=None, gt=0, description="the most the label allows in this situation")
    firm: bool = Field(
        default=True, description="false: the label gives no firm dose (a card, never a replacement order)"
    )

    @model_validator(mode="after")
    def _bounds_for_renal(self) -> DoseRow:
        bounded = (self.crcl_at_least, self.crcl_at_most, self.crcl_below) != (None, None, None)
        if bounded != (self.situation == "renal-impairment"):
            raise ValueError("a renal-impairment row needs creatinine clearance bounds, and only such a row has them")
        if self.child_pugh and self.situation != "hepatic-impairment":
            raise ValueError("child_pugh is for hepatic-impairment rows only")
        return self

    def covers_clearance(self, crcl: float) -> bool:
        """Whether a creatinine clearance (mL/min) falls in this row's band."""
        return (
            (self.crcl_at_least is None or crcl >= self.crcl_at_least)
            and (self.crcl_at_most is None or crcl <= self.crcl_at_most)
            and (self.crcl_below is None or crcl < self.crcl_below)
        )


class ExtrinsicCheckRow(KnowledgeRow):
    """A cause of apparent resistance to rule out first: adherence, interactions, dose, interruptions."""

    guideline: str
    check: Literal["adherence", "interactions", "dose-below-standard", "interruptions"]
    text: str


class DrugClassRow(KnowledgeRow):
    """A class of interacting drugs with the names and RxNorm ingredient codes that identify its members."""

    drug_class: str
    label: str = Field(min_length=3, description="how a card names the class, e.g. 'proton-pump inhibitor'")
    drugs: list[str] = Field(min_length=1, description="lowercase generic names")
    rxnorm: list[str] = Field(default_factory=list, description="RxNorm ingredient RxCUIs")


class InteractionRow(KnowledgeRow):
    """A TKI–drug-class interaction and what the label says to do."""

    tki: Tki
    drug_class: str = Field(description="a drug_class of drug_classes.toml")
    action: Literal["avoid", "caution", "separate"]
    exposure: Literal["lowers", "raises", "other"] = Field(
        description="lowers: the co-medication lowers TKI exposure (can mimic resistance); raises: it raises TKI "
        "exposure (toxicity); other: neither (QT prolongation, the TKI changing the other drug's exposure)"
    )
    text: str


class ComorbidityCautionRow(KnowledgeRow):
    """A comorbidity (a COMORBIDITY_KEYS key) that calls for caution with a TKI."""

    comorbidity: str
    tki: Tki
    strength: Literal["caution", "warning", "boxed", "hold", "stop"] = Field(
        default="caution",
        description="caution: a precaution (info card); warning: a label warning; boxed: a boxed warning "
        "(warning card); hold: the label says do not give until the condition is corrected (critical card); "
        "stop: the label says do not use or stop the TKI (critical card)",
    )
    text: str


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


class MutationTestingRow(KnowledgeRow):
    """A trigger for BCR::ABL1 kinase-domain mutation testing."""

    guideline: str
    trigger: TestingTrigger
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


class OrderingRuleRow(KnowledgeRow):
    """A rule the ordering hooks apply to a drafted TKI that no other table states on its own."""

    guideline: str
    situation: Literal["prior-failure", "prior-intolerance"]
    text: str


class IndicationRow(KnowledgeRow):
    """The CML phases a TKI's US label approves it in (prescribing information, Indications and Usage)."""

    tki: Tki
    phases: list[Phase] = Field(min_length=1, description="chronic, accelerated, blast")
    text: str

    @model_validator(mode="after")
    def _phases_once(self) -> IndicationRow:
        if len(set(self.phases)) != len(self.phases):
            raise ValueError(f"phases {self.phases} name a phase twice")
        return self


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


class OrganFunctionRow(KnowledgeRow):
    """How the service reads organ function and electrolytes (issue #23): a lower limit used when an
    Observation gives no reference range, how recent a value must be to count today, and what an eGFR stands
    for."""

    measure: Literal["potassium", "magnesium", "renal", "hepatic"]
    rule: Literal["lower-limit", "window", "egfr-for-clearance"]
    value: float | None = Field(default=None, gt=0, description="lower-limit: the limit, in `unit`")
    unit: str = ""
    days: int | None = Field(default=None, gt=0, description="window: a value older than this does not count")
    text: str


#: table name (file stem) → (TOML array name, row model)
TABLES: dict[str, tuple[str, type[KnowledgeRow]]] = {
    "milestones": ("milestone", MilestoneRow),
    "nccn_traffic_light": ("band", NccnRow),
    "response_levels": ("level", ResponseLevelRow),
    "mutation_rules": ("rule", MutationRuleRow),
    "compound_rules": ("rule", CompoundRuleRow),
    "course_rules": ("rule", CourseRuleRow),
    "doses": ("dose", DoseRow),
    "drug_classes": ("drug_class", DrugClassRow),
    "extrinsic_checks": ("check", ExtrinsicCheckRow),
    "interactions": ("interaction", InteractionRow),
    "comorbidity_cautions": ("caution", ComorbidityCautionRow),
    "tfr_criteria": ("criterion", TfrCriterionRow),
    "monitoring_intervals": ("interval", MonitoringRow),
    "phases": ("criterion", PhaseRow),
    "polymorphisms": ("polymorphism", PolymorphismRow),
    "evidence_windows": ("window", EvidenceWindowRow),
    "any_time_failure": ("failure", AnyTimeFailureRow),
    "mutation_testing": ("trigger", MutationTestingRow),
    "sct_referral": ("situation", SctReferralRow),
    "ordering_rules": ("rule", OrderingRuleRow),
    "indications": ("indication", IndicationRow),
    "pregnancy": ("rule", PregnancyRuleRow),
    "pregnancy_codes": ("code", PregnancyCodeRow),
    "organ_function": ("rule", OrganFunctionRow),
}
