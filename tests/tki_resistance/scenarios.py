"""Model-level scenario builders for the stage tests: a patient in a few clinical words."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TypedDict, Unpack

from tki_resistance import (
    ClinicalState,
    Comedication,
    Comorbidity,
    DiseasePhase,
    Finding,
    KinaseDomainTest,
    Knowledge,
    PatientSnapshot,
    StopReason,
    TkiExposure,
    TranscriptResult,
    Variant,
    build_state,
    default_knowledge,
)
from tki_resistance.model import (
    Comparator,
    Exclusion,
    LabValue,
    OrganFunction,
    OwnScaleResult,
    Pregnancy,
    TreatmentLine,
)


class ExposureFields(TypedDict, total=False):
    """The `TkiExposure` fields `on` leaves to the model's defaults unless a test names them."""

    end: date | None
    dose_text: str | None
    active: bool
    stop_reason: StopReason | None
    ordered: bool
    stop_detail: str | None


class SnapshotFields(TypedDict, total=False):
    """The `PatientSnapshot` fields after `patient_id` and `as_of`, so `snapshot(**fields)` is checked."""

    transcripts: tuple[TranscriptResult, ...]
    own_scale: tuple[OwnScaleResult, ...]
    kinase_domain_tests: tuple[KinaseDomainTest, ...]
    tki_exposures: tuple[TkiExposure, ...]
    comedications: tuple[Comedication, ...]
    comorbidities: tuple[Comorbidity, ...]
    phase: DiseasePhase
    phase_source: str | None
    phase_date: date | None
    blast_percent: float | None
    chromosomal_abnormalities: tuple[str, ...]
    allogeneic_transplant: date | None
    birth_date: date | None
    transcript_type: str | None
    tfr_goal: bool
    exclusions: tuple[Exclusion, ...]
    unavailable: tuple[str, ...]
    blast_source: str | None
    cml_diagnosis_sources: tuple[str, ...]
    bcr_abl1_fusion_sources: tuple[str, ...]
    blast_date: date | None
    karyotype_source: str | None
    karyotype_date: date | None
    basophils: LabValue | None
    platelets: LabValue | None
    blasts_promyelocytes: LabValue | None
    extramedullary_blasts_source: str | None
    transplant_source: str | None
    transcript_sources: tuple[str, ...]
    tfr_goal_source: str | None
    lines: tuple[TreatmentLine, ...] | None
    pregnancy: tuple[Pregnancy, ...]
    sex: str | None
    renal: OrganFunction | None
    hepatic: OrganFunction | None
    potassium: OrganFunction | None
    magnesium: OrganFunction | None


class SnapshotArgs(SnapshotFields, total=False):
    """Everything `snapshot` takes, for helpers that pass it on."""

    as_of_months: float


KNOWLEDGE = default_knowledge()
START = date(2023, 1, 1)


def day(months: float, start: date = START) -> date:
    return start + timedelta(days=round(months * 365.25 / 12))


def result(
    months: float, value: float, start: date = START, comparator: Comparator = Comparator.EQUAL
) -> TranscriptResult:
    return TranscriptResult(f"Observation/r{months}-{value}", day(months, start), value, comparator)


def own(
    months: float,
    value: float,
    transcript: str = "e1a2",
    start: date = START,
    comparator: Comparator = Comparator.EQUAL,
) -> OwnScaleResult:
    """A transcript-specific result on `transcript`'s own scale (not IS); `comparator` "<": undetectable."""
    detected = comparator is Comparator.EQUAL and value > 0
    return OwnScaleResult(
        f"Observation/o{months}-{value}", day(months, start), transcript, value, comparator, detected=detected
    )


def on(
    drug: str, *, start: date = START, mg: float | None = None, per_day: int = 1, **kw: Unpack[ExposureFields]
) -> TkiExposure:
    return TkiExposure(
        f"MedicationStatement/{drug}-{start}", drug, start, daily_dose_mg=mg, doses_per_day=per_day, **kw
    )


def stopped(drug: str, start: date, end: date, reason: StopReason) -> TkiExposure:
    return TkiExposure(f"MedicationStatement/{drug}-{start}", drug, start, end=end, active=False, stop_reason=reason)


def variant(name: str, vaf: float | None = None) -> Variant:
    return Variant(name, tuple(name.split("/")), vaf)


def kd_test(taken: date, *names: str) -> KinaseDomainTest:
    return KinaseDomainTest(f"Observation/kd-{taken}", taken, tuple(variant(n) for n in names))


def comed(name: str, *codes: str) -> Comedication:
    return Comedication(f"MedicationStatement/{name}", name, tuple(codes))


def comorbid(key: str) -> Comorbidity:
    return Comorbidity(f"Condition/{key}", key, key.replace("-", " "))


def snapshot(as_of_months: float = 12.5, **kw: Unpack[SnapshotFields]) -> PatientSnapshot:
    return PatientSnapshot("p", day(as_of_months), **kw)


def state_of(snapshot: PatientSnapshot, knowledge: Knowledge | None = None) -> ClinicalState:
    """The clinical state every stage reads (issue #22), built as the pipeline builds it."""
    return build_state(snapshot, knowledge if knowledge is not None else default_knowledge())


def rule_ids(findings: list[Finding]) -> set[str]:
    return {rule.id for finding in findings for rule in finding.rules}


__all__ = [
    "KNOWLEDGE",
    "START",
    "Comparator",
    "DiseasePhase",
    "ExposureFields",
    "SnapshotArgs",
    "SnapshotFields",
    "StopReason",
    "comed",
    "comorbid",
    "day",
    "kd_test",
    "on",
    "result",
    "rule_ids",
    "snapshot",
    "state_of",
    "stopped",
    "variant",
]
