"""One patient's resources → the patient-view findings → a worklist row (or none).

The path is the hook's: the resources are wrapped in one Bundle and decoded by `fhir_mapping.decode`
(the decoder the hook uses on its prefetch), mapped by `fhir_mapping.build_snapshot`, assessed by
`tki_resistance.assess` (clinical state, stages, consolidation), and the most urgent finding is rendered by
`cds_hooks.cards.render_card`, so a row's finding, summary and codes are those of the patient-view cards.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from enum import IntEnum

import msgspec

from cds_hooks.cards import render_card
from fhir_mapping import build_snapshot
from fhir_mapping.decode import decode_value
from tki_resistance import Finding, FindingCode, Knowledge, PatientSnapshot, Severity, assess

__all__ = ["Category", "Row", "assess_patient", "category_of", "in_scope", "pseudonym"]


class Category(IntEnum):
    """Worklist buckets, most urgent first (issue #26's order; 'other critical', 'other action' and 'record
    incomplete' are this module's additions, so that no card is left off the list)."""

    RELAPSE = 1
    FAILURE = 2
    PROGRESSION = 3
    AVOID_CURRENT_TKI = 4
    OTHER_CRITICAL = 5
    MUTATION_TESTING = 6
    MONITORING_OVERDUE = 7
    TFR_ELIGIBLE = 8
    OTHER_ACTION = 9
    RECORD_INCOMPLETE = 10

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Category.RELAPSE: "Relapse",
    Category.FAILURE: "ELN failure",
    Category.PROGRESSION: "Progression (advanced phase)",
    Category.AVOID_CURRENT_TKI: "Current TKI to avoid (mutation)",
    Category.OTHER_CRITICAL: "Other critical",
    Category.MUTATION_TESTING: "Mutation testing due",
    Category.MONITORING_OVERDUE: "Monitoring overdue",
    Category.TFR_ELIGIBLE: "TFR eligible",
    Category.OTHER_ACTION: "Other action",
    Category.RECORD_INCOMPLETE: "Record incomplete (not assessable)",
}
_BY_CODE = {
    FindingCode.RELAPSE: Category.RELAPSE,
    FindingCode.MILESTONE_FAILURE: Category.FAILURE,
    FindingCode.ADVANCED_PHASE: Category.PROGRESSION,
    FindingCode.MUTATION_TESTING: Category.MUTATION_TESTING,
    FindingCode.MONITORING_DUE: Category.MONITORING_OVERDUE,
    FindingCode.TFR_ELIGIBLE: Category.TFR_ELIGIBLE,
    FindingCode.NOT_ASSESSABLE: Category.RECORD_INCOMPLETE,
}
#: Findings that are not an action for the clinic: records set aside (each is on the card list, not the worklist).
NO_ACTION = frozenset({FindingCode.DATA_EXCLUDED})
SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True, slots=True)
class Row:
    """One patient who needs action (field names are the CSV header and the JSON keys)."""

    patient: str
    category: int
    category_label: str
    indicator: str
    finding: str
    summary: str
    what_to_do: str
    data_date: str
    codes: tuple[str, ...]


def pseudonym(patient_id: str, secret: bytes) -> str:
    """HMAC-SHA256 of the FHIR id, 128 bits in hex: stable for one secret, not reversible without it (the
    service's audit pseudonym, `cds_hooks.logs.pseudonym`, with the same secret gives the same value)."""
    return hmac.new(secret, patient_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def in_scope(snapshot: PatientSnapshot) -> bool:
    """A CML patient: a CML diagnosis, a BCR::ABL1 result or fusion, a kinase-domain test or a TKI on record.
    A system-level export holds the whole hospital; everyone else is counted, not assessed further."""
    return bool(
        snapshot.cml_diagnosis_sources
        or snapshot.transcripts
        or snapshot.own_scale
        or snapshot.kinase_domain_tests
        or snapshot.tki_exposures
        or snapshot.bcr_abl1_fusion_sources
    )


def category_of(findings: list[Finding], snapshot: PatientSnapshot) -> Category | None:
    """The most urgent bucket any finding puts the patient in; None when nothing is to be done."""
    current = snapshot.current_tki.drug if snapshot.current_tki is not None else None
    best: Category | None = None
    for finding in findings:
        if finding.code in NO_ACTION:
            continue
        if finding.code is FindingCode.AVOID_TKI and current is not None and current in finding.avoid:
            bucket = Category.AVOID_CURRENT_TKI
        elif finding.code in _BY_CODE:
            bucket = _BY_CODE[finding.code]
        elif finding.severity is Severity.CRITICAL:
            bucket = Category.OTHER_CRITICAL
        else:
            bucket = Category.OTHER_ACTION
        if best is None or bucket < best:
            best = bucket
    return best


def snapshot_of(patient_id: str, resources: list[bytes], as_of: date) -> PatientSnapshot:
    """The patient as the hook would see them with every resource in one prefetch Bundle."""
    bundle = (
        b'{"resourceType":"Bundle","type":"collection","entry":['
        + b",".join(b'{"resource":' + r + b"}" for r in resources)
        + b"]}"
    )
    return build_snapshot(patient_id, {"resources": decode_value(msgspec.Raw(bundle))}, as_of)


def _data_date(finding: Finding) -> str:
    dates = [e.date for e in finding.evidence if e.date]
    return max(dates) if dates else ""


def assess_patient(
    patient_id: str, resources: list[bytes], as_of: date, knowledge: Knowledge, shown_id: str
) -> tuple[str, Row | None]:
    """('not-cml' | 'no-action' | 'action', the row). `shown_id` is what the row calls the patient."""
    snapshot = snapshot_of(patient_id, resources, as_of)
    if not in_scope(snapshot):
        return "not-cml", None
    findings = assess(snapshot, knowledge)
    bucket = category_of(findings, snapshot)
    if bucket is None:
        return "no-action", None
    top = findings[0]
    card = render_card(top, patient_id, "worklist", 0)
    return "action", Row(
        patient=shown_id,
        category=int(bucket),
        category_label=bucket.label,
        indicator=card.indicator,
        finding=top.code.value,
        summary=card.summary,
        what_to_do=top.action,
        data_date=_data_date(top),
        codes=tuple(f.code.value for f in findings),
    )
