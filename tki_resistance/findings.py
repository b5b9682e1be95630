"""What the algorithm concludes: findings, each with the rule and the data points behind it.

A finding is the algorithm's whole output. It is rendered into a CDS Hooks card at the HTTP edge, but it
carries everything a card needs so that the edge never re-derives clinical meaning.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import msgspec

__all__ = ["SUMMARY_MAX", "Evidence", "Finding", "FindingCode", "ResponseCategory", "RuleRef", "Severity", "fit"]

#: The longest card summary CDS Hooks allows (<140 characters); summaries are built to fit, never cut.
SUMMARY_MAX = 139


class FindingCode(StrEnum):
    """The contract's finding codes (`extension["org.cmlcds.finding"].code`)."""

    MILESTONE_WARNING = "milestone-warning"
    MILESTONE_FAILURE = "milestone-failure"
    MUTATION_TESTING = "mutation-testing"
    AVOID_TKI = "avoid-tki"
    EXTRINSIC_CAUSES = "extrinsic-causes"
    SCT_REFERRAL = "sct-referral"
    ADVANCED_PHASE = "advanced-phase"
    DOSE_CHECK = "dose-check"
    COMORBIDITY_CAUTION = "comorbidity-caution"
    MONITORING_DUE = "monitoring-due"
    TFR_ELIGIBLE = "tfr-eligible"
    RELAPSE = "relapse"
    DRUG_INTERACTION = "drug-interaction"
    PRIOR_FAILURE = "prior-failure"
    PREGNANCY = "pregnancy"
    DISCORDANT_RESULTS = "discordant-results"
    DATA_EXCLUDED = "data-excluded"
    NOT_ASSESSABLE = "not-assessable"


class Severity(StrEnum):
    """Urgency, mapped 1:1 onto the CDS Hooks card indicator."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class ResponseCategory(StrEnum):
    OPTIMAL = "optimal"
    WARNING = "warning"
    FAILURE = "failure"


class RuleRef(msgspec.Struct, frozen=True, gc=False):
    """A knowledge-base rule: stable id, the guideline it encodes, its source key and whether verified."""

    id: str
    guideline: str
    source: str
    verified: bool
    text: str
    url: str = ""
    label: str = ""  # how a card cites the source: guideline, version and year (sources.toml `label`)


class Evidence(msgspec.Struct, frozen=True, gc=False):
    """A data point a finding rests on: what it is, its value, its date, and the record it came from."""

    label: str
    value: str
    date: str | None = None
    reference: str | None = None


class Finding(msgspec.Struct, frozen=True, gc=False):
    """One conclusion, ready to become one card."""

    code: FindingCode
    severity: Severity
    summary: str
    rules: tuple[RuleRef, ...]
    evidence: tuple[Evidence, ...] = ()
    detail: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()
    mutations: tuple[str, ...] = ()
    response: dict[str, Any] | None = None
    suggest_service_request: bool = False
    override_reasons: tuple[str, ...] = ()
    extra: dict[str, Any] = msgspec.field(default_factory=dict)
    action: str = ""  # what to do, one or two sentences: the card's "What to do" line
    brief: str = ""  # this finding in one line, for when consolidation folds it into another card

    @property
    def guideline(self) -> str:
        """The guideline of the first (deciding) rule."""
        return self.rules[0].guideline if self.rules else "cml-cds"

    @property
    def verified(self) -> bool:
        """A finding is verified only when every rule behind it is."""
        return all(rule.verified for rule in self.rules)


def fit(*candidates: str) -> str:
    """The first candidate summary that fits `SUMMARY_MAX`; the last one is the stage's shortest form.

    Stages pass the full sentence first and shorter forms after it, so that a summary is never cut.
    """
    for candidate in candidates:
        if len(candidate) <= SUMMARY_MAX:
            return candidate
    return candidates[-1]
