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

from .conditions import map_conditions
from .context import join_transcripts, observation_context, transplant_record
from .dates import implausible_date, parse_day
from .exclusions import ExclusionLog
from .goals import Goal, tfr_goal
from .kinase_domain import map_kinase_domain
from .medications import map_medication_request, map_medication_statement, medication_index
from .molecular import is_bcr_abl1, map_transcript
from .resources import (
    Condition,
    FhirModel,
    MedicationRequest,
    MedicationStatement,
    Observation,
    Patient,
    Procedure,
)

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
        "Goal",
    }
)
_SUBJECT_LESS = frozenset({"Patient", "Medication"})


def iter_resources(prefetch: Mapping[str, Any], log: ExclusionLog | None = None) -> Iterator[dict[str, Any]]:
    """Every resource in the prefetch values: a Bundle's entries, or a single resource.

    A Bundle whose `entry` is not a list, or an entry without a resource object, cannot be read: it is
    reported (when a log is given), never skipped in silence.
    """
    for key, value in prefetch.items():
        if not isinstance(value, dict):
            continue
        if value.get("resourceType") != "Bundle":
            yield value
            continue
        entries = value.get("entry", [])
        if not isinstance(entries, list):
            if log is not None:
                log.exclude(value, f"prefetch '{key}': Bundle.entry is not a list; nothing in it could be read")
            continue
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                yield entry["resource"]
            elif log is not None:
                log.exclude(value, f"prefetch '{key}': a Bundle entry without a resource object was not read")


def _about_patient(reference: str | None, patient_id: str) -> bool:
    """`Patient/id`, or an absolute URL ending in it; the raw string, read before any model is built."""
    if not reference:
        return False
    return reference == f"Patient/{patient_id}" or reference.endswith(f"/Patient/{patient_id}")


def _checked(resources: Iterable[dict[str, Any]], patient_id: str, log: ExclusionLog) -> list[dict[str, Any]]:
    """Resources that passed the safety checks (type, duplicate, patient)."""
    kept: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for raw in resources:
        kind = raw.get("resourceType")
        if kind == "OperationOutcome":
            continue
        if not isinstance(kind, str) or kind not in READ_TYPES:
            log.exclude(raw, f"unexpected resource type '{kind}'")
            continue
        ident = raw.get("id")
        if ident is not None:
            key = (str(kind), str(ident))
            if key in seen:
                # the same resource under two prefetch keys (their searches overlap) is read once, quietly;
                # two different resources with one id are a conflict, reported
                if raw not in (r for r in kept if r.get("resourceType") == kind and r.get("id") == ident):
                    log.exclude(raw, "duplicate resource id (first occurrence used)")
                continue
            seen.add(key)
        if kind == "Patient":
            if ident is not None and ident != patient_id:
                log.exclude(raw, "Patient resource of another patient")
            else:
                kept.append(raw)
            continue
        if kind not in _SUBJECT_LESS:
            subject = raw.get("subject")
            reference = subject.get("reference") if isinstance(subject, dict) else None
            if not _about_patient(reference if isinstance(reference, str) else None, patient_id):
                log.exclude(raw, "subject is not the patient in context")
                continue
        kept.append(raw)
    return kept


_MODELS: dict[str, type[FhirModel]] = {
    "Patient": Patient,
    "Observation": Observation,
    "MedicationStatement": MedicationStatement,
    "MedicationRequest": MedicationRequest,
    "Condition": Condition,
    "Procedure": Procedure,
    "Goal": Goal,
}


def _validated(resources: list[dict[str, Any]], log: ExclusionLog) -> dict[str, list[Any]]:
    """Slim models by type; a resource that does not fit its type is excluded with the first error."""
    by_type: dict[str, list[Any]] = {kind: [] for kind in _MODELS}
    for raw in resources:
        kind = raw["resourceType"]
        model = _MODELS.get(kind)
        if model is None:
            continue
        try:
            by_type[kind].append(model.model_validate(raw))
        except ValidationError as exc:
            first = exc.errors()[0]
            log.exclude(raw, f"not a valid FHIR R4 {kind}: {first['loc']} {first['msg']}")
    return by_type


def _dated(models: list[Any], as_of: date, log: ExclusionLog) -> list[Any]:
    """The models whose dates are plausible (dates.py); the others excluded with the date that failed."""
    kept: list[Any] = []
    for model in models:
        reason = implausible_date(model, as_of)
        if reason is None:
            kept.append(model)
        else:
            log.exclude(model, reason)
    return kept


def build_snapshot(
    patient_id: str, prefetch: Mapping[str, Any], as_of: date, unavailable: tuple[str, ...] = ()
) -> PatientSnapshot:
    """Map everything usable into the model; everything unusable into `exclusions`."""
    log = ExclusionLog()
    resources = _checked(iter_resources(prefetch, log), patient_id, log)
    medications = medication_index(resources)
    by_type = _validated(resources, log)
    by_type = {kind: _dated(models, as_of, log) for kind, models in by_type.items()}
    observations: list[Observation] = by_type["Observation"]

    transcripts: list[TranscriptResult] = []
    for observation in observations:
        if is_bcr_abl1(observation) and (result := map_transcript(observation, log)) is not None:
            transcripts.append(result)
    transcripts.sort(key=lambda t: t.taken)
    kinase = map_kinase_domain(observations, log)
    context = observation_context(observations, log)

    exposures: list[TkiExposure] = []
    comedications: list[Comedication] = []
    mapped = [map_medication_statement(s, medications, log) for s in by_type["MedicationStatement"]]
    mapped += [map_medication_request(r, medications, log) for r in by_type["MedicationRequest"]]
    for item in mapped:
        if isinstance(item, TkiExposure):
            exposures.append(item)
        elif isinstance(item, Comedication):
            comedications.append(item)

    conditions = map_conditions(by_type["Condition"], log)
    patients = [p for p in by_type["Patient"] if p.id == patient_id]
    transplant = transplant_record(by_type["Procedure"], log)
    goal = tfr_goal(by_type["Goal"])
    transcript_names = set(context.transcripts) | set(conditions.transcripts)
    return PatientSnapshot(
        patient_id=patient_id,
        as_of=as_of,
        transcripts=tuple(transcripts),
        kinase_domain_tests=kinase.tests,
        tki_exposures=tuple(exposures),
        comedications=tuple(comedications),
        comorbidities=conditions.comorbidities,
        phase=conditions.phase,
        phase_source=conditions.phase_source,
        blast_percent=context.blast_percent,
        blast_source=context.blast_source,
        blast_date=context.blast_date,
        chromosomal_abnormalities=context.chromosomal_abnormalities,
        karyotype_source=context.karyotype_source,
        karyotype_date=context.karyotype_date,
        basophils=context.basophils,
        platelets=context.platelets,
        blasts_promyelocytes=context.blasts_promyelocytes,
        extramedullary_blasts_source=conditions.extramedullary_source,
        allogeneic_transplant=transplant[0] if transplant else None,
        transplant_source=transplant[1] if transplant else None,
        birth_date=parse_day(patients[0].birthDate) if patients else None,
        transcript_type=join_transcripts(transcript_names),
        transcript_sources=context.transcript_sources + conditions.transcript_sources,
        tfr_goal=goal is not None,
        tfr_goal_source=goal.source if goal else None,
        cml_diagnosis_sources=conditions.cml_sources,
        bcr_abl1_fusion_sources=kinase.fusion_sources + context.fusion_sources,
        exclusions=log.items,
        unavailable=unavailable,
    )
