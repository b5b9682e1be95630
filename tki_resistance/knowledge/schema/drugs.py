"""Rows about the drugs: mutations that exclude them, doses, indications, interactions, label cautions and
organ-function rules."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import KnowledgeRow, Phase, Tki

__all__ = [
    "ComorbidityCautionRow",
    "CompoundRuleRow",
    "DoseRow",
    "DrugClassRow",
    "ExtrinsicCheckRow",
    "IndicationRow",
    "InteractionRow",
    "MutationRuleRow",
    "OrderingRuleRow",
    "OrganFunctionRow",
    "PolymorphismRow",
]


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
