"""Row schemas for the knowledge tables: one pydantic model per table, one row per fact.

Every row names its `source` (a key of `sources.toml`) and says whether the fact was `verified` against
that source. Adding a table means adding a model here and registering it in `TABLES`.
"""

from __future__ import annotations

from .base import KnowledgeRow, Phase, SourceRow, Tki
from .course import (
    CourseRule,
    CourseRuleRow,
    EvidenceWindowRow,
    PhaseEvidence,
    PhaseRow,
    PregnancyCodeRow,
    PregnancyMeaning,
    PregnancyRuleRow,
    SctReferralRow,
)
from .drugs import (
    ComorbidityCautionRow,
    CompoundRuleRow,
    DoseRow,
    DrugClassRow,
    ExtrinsicCheckRow,
    IndicationRow,
    InteractionRow,
    MutationRuleRow,
    OrderingRuleRow,
    OrganFunctionRow,
    PolymorphismRow,
)
from .response import (
    AnyTimeFailureRow,
    Colour,
    MilestoneRow,
    MonitoringRow,
    MonitoringSituation,
    MutationTestingRow,
    NccnRow,
    ResponseLevelRow,
    TestingTrigger,
    TfrCriterionRow,
)

__all__ = [
    "TABLES",
    "AnyTimeFailureRow",
    "Colour",
    "ComorbidityCautionRow",
    "CompoundRuleRow",
    "CourseRule",
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
    "MonitoringSituation",
    "MutationRuleRow",
    "MutationTestingRow",
    "NccnRow",
    "OrderingRuleRow",
    "OrganFunctionRow",
    "Phase",
    "PhaseEvidence",
    "PhaseRow",
    "PolymorphismRow",
    "PregnancyCodeRow",
    "PregnancyMeaning",
    "PregnancyRuleRow",
    "ResponseLevelRow",
    "SctReferralRow",
    "SourceRow",
    "TestingTrigger",
    "TfrCriterionRow",
    "Tki",
]

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
