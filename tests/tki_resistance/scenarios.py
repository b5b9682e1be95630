"""Model-level scenario builders for the stage tests: a patient in a few clinical words."""

from __future__ import annotations

from datetime import date, timedelta

from tki_resistance import (
    Comedication,
    Comorbidity,
    DiseasePhase,
    Finding,
    KinaseDomainTest,
    PatientSnapshot,
    StopReason,
    TkiExposure,
    TranscriptResult,
    Variant,
    default_knowledge,
)
from tki_resistance.model import Comparator

KNOWLEDGE = default_knowledge()
START = date(2023, 1, 1)


def day(months: float, start: date = START) -> date:
    return start + timedelta(days=round(months * 365.25 / 12))


def result(
    months: float, value: float, start: date = START, comparator: Comparator = Comparator.EQUAL
) -> TranscriptResult:
    return TranscriptResult(f"Observation/r{months}-{value}", day(months, start), value, comparator)


def on(drug: str, *, start: date = START, mg: float | None = None, per_day: int = 1, **kw: object) -> TkiExposure:
    return TkiExposure(
        f"MedicationStatement/{drug}-{start}", drug, start, daily_dose_mg=mg, doses_per_day=per_day, **kw
    )  # type: ignore[arg-type]


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


def snapshot(as_of_months: float = 12.5, **kw: object) -> PatientSnapshot:
    return PatientSnapshot("p", day(as_of_months), **kw)  # type: ignore[arg-type]


def rule_ids(findings: list[Finding]) -> set[str]:
    return {rule.id for finding in findings for rule in finding.rules}


__all__ = [
    "KNOWLEDGE",
    "START",
    "Comparator",
    "DiseasePhase",
    "StopReason",
    "comed",
    "comorbid",
    "day",
    "kd_test",
    "on",
    "result",
    "rule_ids",
    "snapshot",
    "stopped",
    "variant",
]
