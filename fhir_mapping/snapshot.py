"""Prefetched (or fetched) FHIR resources → one `PatientSnapshot` for the algorithm.

Safety checks happen here, once, for every resource: a resource about another patient, a duplicate id,
or a type the service does not read is excluded and reported, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from pydantic import ValidationError

from tki_resistance.model import Comedication, PatientSnapshot, TkiExposure, TranscriptResult

from .exclusions import ExclusionLog
from .medications import map_medication_statement, medication_index
from .molecular import is_bcr_abl1, map_transcript
from .resources import MedicationStatement, Observation, Reference

__all__ = ["build_snapshot", "iter_resources"]

#: Types the service reads. Anything else in the prefetch is reported as unexpected.
READ_TYPES = frozenset(
    {
        "Patient",
        "Observation",
        "MedicationStatement",
        "MedicationRequest",
        "Medication",
        "Condition",
        "Procedure",
    }
)
_SUBJECT_LESS = frozenset({"Patient", "Medication"})


def iter_resources(prefetch: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every resource in the prefetch values: a Bundle's entries, or a single resource."""
    for value in prefetch.values():
        if not isinstance(value, dict):
            continue
        if value.get("resourceType") == "Bundle":
            for entry in value.get("entry") or []:
                if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                    yield entry["resource"]
        else:
            yield value


def _about_patient(subject: Reference | None, patient_id: str) -> bool:
    reference = (subject.reference if subject else None) or ""
    return reference == f"Patient/{patient_id}" or reference.endswith(f"/Patient/{patient_id}")


def _checked(resources: Iterable[dict[str, Any]], patient_id: str, log: ExclusionLog) -> list[dict[str, Any]]:
    """Resources that passed the safety checks (type, duplicate, patient)."""
    kept: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for raw in resources:
        kind = raw.get("resourceType")
        if kind == "OperationOutcome":
            continue
        if kind not in READ_TYPES:
            log.exclude(raw, f"unexpected resource type '{kind}'")
            continue
        ident = raw.get("id")
        if ident is not None:
            key = (str(kind), str(ident))
            if key in seen:
                log.exclude(raw, "duplicate resource id (first occurrence used)")
                continue
            seen.add(key)
        if kind == "Patient":
            if ident is not None and ident != patient_id:
                log.exclude(raw, "Patient resource of another patient")
            continue
        if kind not in _SUBJECT_LESS:
            subject = raw.get("subject")
            reference = Reference.model_validate(subject) if isinstance(subject, dict) else None
            if not _about_patient(reference, patient_id):
                log.exclude(raw, "subject is not the patient in context")
                continue
        kept.append(raw)
    return kept


def build_snapshot(
    patient_id: str, prefetch: Mapping[str, Any], as_of: date, unavailable: tuple[str, ...] = ()
) -> PatientSnapshot:
    """Map everything usable into the model; everything unusable into `exclusions`."""
    log = ExclusionLog()
    resources = _checked(iter_resources(prefetch), patient_id, log)
    medications = medication_index(resources)

    transcripts: list[TranscriptResult] = []
    exposures: list[TkiExposure] = []
    comedications: list[Comedication] = []
    for raw in resources:
        kind = raw["resourceType"]
        try:
            if kind == "Observation":
                observation = Observation.model_validate(raw)
                if is_bcr_abl1(observation) and (result := map_transcript(observation, log)) is not None:
                    transcripts.append(result)
            elif kind == "MedicationStatement":
                mapped = map_medication_statement(MedicationStatement.model_validate(raw), medications, log)
                if isinstance(mapped, TkiExposure):
                    exposures.append(mapped)
                elif isinstance(mapped, Comedication):
                    comedications.append(mapped)
        except ValidationError as exc:
            log.exclude(raw, f"not a valid FHIR R4 {kind}: {exc.errors()[0]['loc']} {exc.errors()[0]['msg']}")

    transcripts.sort(key=lambda t: t.taken)
    return PatientSnapshot(
        patient_id=patient_id,
        as_of=as_of,
        transcripts=tuple(transcripts),
        tki_exposures=tuple(exposures),
        comedications=tuple(comedications),
        exclusions=log.items,
        unavailable=unavailable,
    )
