"""The clinical core: pure functions over a typed patient model, knowledge loaded from reviewed data.

No HTTP and no FHIR in here: `fhir_mapping` builds the `PatientSnapshot`, `cds_hooks` renders findings.
"""

from .findings import Evidence, Finding, FindingCode, ResponseCategory, RuleRef, Severity
from .knowledge.loader import Knowledge, KnowledgeError, default_knowledge, load_knowledge
from .model import (
    TKIS,
    Comedication,
    Comorbidity,
    Comparator,
    DiseasePhase,
    Exclusion,
    KinaseDomainTest,
    PatientSnapshot,
    StopReason,
    TkiExposure,
    TranscriptResult,
    Variant,
)
from .pipeline import assess, assess_state
from .state import ClinicalState, build_state

__all__ = [
    "TKIS",
    "ClinicalState",
    "Comedication",
    "Comorbidity",
    "Comparator",
    "DiseasePhase",
    "Evidence",
    "Exclusion",
    "Finding",
    "FindingCode",
    "KinaseDomainTest",
    "Knowledge",
    "KnowledgeError",
    "PatientSnapshot",
    "ResponseCategory",
    "RuleRef",
    "Severity",
    "StopReason",
    "TkiExposure",
    "TranscriptResult",
    "Variant",
    "assess",
    "assess_state",
    "build_state",
    "default_knowledge",
    "load_knowledge",
]
