"""Prefetched (or fetched) FHIR resources → one `PatientSnapshot` for the algorithm.

Safety checks happen here, once, for every resource: a resource about another patient, a duplicate id,
or a type the service does not read is excluded and reported, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

import msgspec
from pydantic import ValidationError

from tki_resistance.model import Comedication, DiseasePhase, PatientSnapshot, TkiExposure

from .conditions import map_conditions
from .context import context_from, join_transcripts, transplant_record
from .dates import implausible_dates, parse_day
from .decode import DecodedBundle
from .exclusions import ExclusionLog
from .goals import Goal, tfr_goal
from .kinase_domain import map_kinase_domain
from .lax import read_resource
from .medications import map_medication_request, map_medication_statement, medication_index
from .molecular import map_transcript_results
from .observation_kinds import sort_observations
from .organ import organ_from
from .pregnancy import pregnancy_from
from .recorded_phase import choose_phases
from .resources import (
    Condition,
    FhirResource,
    MedicationRequest,
    MedicationStatement,
    Observation,
    Patient,
    Procedure,
)
from .staging import map_staging

__all__ = ["build_snapshot"]

#: Types the service reads, in the order a Bulk Data export lists them (worklist/export.py). Anything else in
#: the prefetch is reported as unexpected.
READ_TYPE_ORDER = (
    "Patient",
    "Observation",
    "MedicationStatement",
    "MedicationRequest",
    "Medication",
    "Condition",
    "Procedure",
    "Goal",
)
READ_TYPES = frozenset(READ_TYPE_ORDER)
_SUBJECT_LESS = frozenset({"Patient", "Medication"})
_PLAIN = msgspec.json.Decoder()


def _plain_resources(key: str, value: Any, log: ExclusionLog) -> Iterator[dict[str, Any]]:
    """The resources of a prefetch value kept as plain JSON (read from a FHIR server, or not decodable as a
    Bundle): a Bundle's entries, or the value itself when it is a single resource. A Bundle whose `entry` is
    not a list, or an entry without a resource object, cannot be read: it is reported, never skipped."""
    if not isinstance(value, dict):
        return
    if value.get("resourceType") != "Bundle":
        yield value
        return
    entries = value.get("entry", [])
    if not isinstance(entries, list):
        log.exclude(value, f"prefetch '{key}': Bundle.entry is not a list; nothing in it could be read")
        return
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
            yield entry["resource"]
        else:
            log.exclude(value, _unreadable_entry(key))


def _unreadable_entry(key: str) -> str:
    return f"prefetch '{key}': a Bundle entry without a resource object was not read"


def _about_patient(reference: str | None, patient_id: str) -> bool:
    """`Patient/id`, or an absolute URL ending in it; the raw string, read before any model is built."""
    if not reference:
        return False
    return reference == f"Patient/{patient_id}" or reference.endswith(f"/Patient/{patient_id}")


def _raw_identity(resource: dict[str, Any]) -> tuple[Any, Any, str | None]:
    """(resourceType, id, subject reference) of a resource kept as plain JSON, as the raw JSON says them."""
    subject = resource.get("subject")
    reference = subject.get("reference") if isinstance(subject, dict) else None
    return resource.get("resourceType"), resource.get("id"), reference if isinstance(reference, str) else None


def _json(resource: Any, bundle: DecodedBundle | None, index: int) -> Any:
    """The resource as JSON, every field (a Struct keeps only those the service reads), to compare two;
    `bundle` and `index` say where its JSON text is when the body was decoded into a Struct."""
    raw = bundle.text(index) if bundle is not None else None
    return _PLAIN.decode(raw) if raw is not None else resource


def _checked(prefetch: Mapping[str, Any], patient_id: str, log: ExclusionLog) -> list[Any]:
    """Resources that passed the safety checks (type, duplicate, patient), in prefetch order.

    Runs once per resource, so a decoded Bundle's resources are walked straight from its list and a
    Struct's identity is read inline (a generator and an identity call per resource cost a third of the
    loop); the first resource kept under each `(type, id)` is remembered, so a duplicate is compared
    with it alone.
    """
    kept: list[Any] = []
    #: (its id as read, the resource, where its JSON text is) of the first resource kept under each key;
    #: None when the first was excluded
    first: dict[tuple[str, str], tuple[Any, Any, DecodedBundle | None, int] | None] = {}
    own = f"Patient/{patient_id}"  # the usual reference, compared before building the URL-suffix form
    for name, value in prefetch.items():
        bundle = value if isinstance(value, DecodedBundle) else None
        resources = bundle.resources if bundle is not None else _plain_resources(name, value, log)
        for index, resource in enumerate(resources):
            if isinstance(resource, FhirResource):
                kind: Any = resource.resourceType
                ident: Any = resource.id  # type: ignore[attr-defined]  # every modelled resource has an id
                subject = getattr(resource, "subject", None)
                reference = subject.reference if subject is not None else None
            elif isinstance(resource, dict):
                kind, ident, reference = _raw_identity(resource)
            else:  # a decoded Bundle's entry without a resource object
                log.exclude(value, _unreadable_entry(name))
                continue
            if kind == "OperationOutcome":
                continue
            if not isinstance(kind, str) or kind not in READ_TYPES:
                log.exclude(resource, f"unexpected resource type '{kind}'")
                continue
            key = None
            if ident is not None:
                key = (kind, ident) if type(ident) is str else (kind, str(ident))  # an id read as a JSON number
                if key in first:
                    # the same resource under two prefetch keys (their searches overlap) is read once,
                    # quietly; two different resources with one id are a conflict, reported
                    earlier = first[key]
                    if (
                        earlier is None
                        or earlier[0] != ident  # `5` and `"5"`: one key, two different ids
                        or _json(resource, bundle, index) != _json(*earlier[1:])
                    ):
                        log.exclude(resource, "duplicate resource id (first occurrence used)")
                    continue
                first[key] = None
            if kind == "Patient":
                if ident is not None and ident != patient_id:
                    log.exclude(resource, "Patient resource of another patient")
                    continue
            elif kind not in _SUBJECT_LESS and reference != own and not _about_patient(reference, patient_id):
                log.exclude(resource, "subject is not the patient in context")
                continue
            if key is not None:
                first[key] = (ident, resource, bundle, index)
            kept.append(resource)
    return kept


_MODELS: dict[str, type[FhirResource]] = {
    "Patient": Patient,
    "Observation": Observation,
    "MedicationStatement": MedicationStatement,
    "MedicationRequest": MedicationRequest,
    "Condition": Condition,
    "Procedure": Procedure,
    "Goal": Goal,
}


def _validated(resources: list[Any], log: ExclusionLog) -> dict[str, list[Any]]:
    """Slim models by type. A resource still a dict (read from a FHIR server, or not strictly decodable) is
    read by lax.py; one that does not fit its type is excluded with the first error."""
    by_type: dict[str, list[Any]] = {kind: [] for kind in _MODELS}
    for resource in resources:
        if isinstance(resource, FhirResource):
            by_type[resource.resourceType].append(resource)
            continue
        kind = resource["resourceType"]
        model = _MODELS.get(kind)
        if model is None:
            continue
        try:
            by_type[kind].append(read_resource(resource, model))
        except ValidationError as exc:
            first = exc.errors()[0]
            log.exclude(resource, f"not a valid FHIR R4 {kind}: {first['loc']} {first['msg']}")
        except msgspec.ValidationError as exc:  # accepted by pydantic, out of msgspec's range (an int > 2**64)
            log.exclude(resource, f"not a valid FHIR R4 {kind}: {exc}")
    return by_type


def _dated(models: list[Any], as_of: date, log: ExclusionLog) -> list[Any]:
    """The models whose dates are plausible (dates.py); the others excluded with the date that failed."""
    kept: list[Any] = []
    for model, reason in zip(models, implausible_dates(models, as_of), strict=True):
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
    resources = _checked(prefetch, patient_id, log)
    medications = medication_index([r for r in resources if isinstance(r, dict)])
    by_type = _validated(resources, log)
    by_type = {kind: _dated(models, as_of, log) for kind, models in by_type.items()}
    observations = sort_observations(by_type["Observation"])  # each mapper reads only its own kind

    transcripts, own_scale = map_transcript_results(observations.bcr_abl1, log)
    kinase = map_kinase_domain(observations.kinase_domain, log)
    context = context_from(observations.counts, observations.not_counts, log)
    organ = organ_from(observations.organ, log)
    staging = map_staging(observations.staging, log)

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
    # the phases recorded by CML Conditions and by staging Observations, one list: the latest is today's
    # record, the earliest the phase at diagnosis, whichever kind of record says it
    phases = choose_phases(conditions.phases + staging)
    latest, earliest = phases.latest, phases.earliest
    patients = [p for p in by_type["Patient"] if p.id == patient_id]
    transplant = transplant_record(by_type["Procedure"], log)
    goal = tfr_goal(by_type["Goal"])
    pregnancy = pregnancy_from(observations.pregnancy, by_type["Condition"], by_type["Goal"], as_of)
    # a transcript-specific result names its transcript: the patient has it, whatever else the record says
    own_names = {name for result in own_scale for name in result.transcript.split("+")}
    transcript_names = set(context.transcripts) | set(conditions.transcripts) | own_names
    named_by = context.transcript_sources + conditions.transcript_sources
    return PatientSnapshot(
        patient_id=patient_id,
        as_of=as_of,
        transcripts=tuple(transcripts),
        own_scale=tuple(own_scale),
        kinase_domain_tests=kinase.tests,
        tki_exposures=tuple(exposures),
        comedications=tuple(comedications),
        comorbidities=conditions.comorbidities,
        phase=latest.phase if latest else DiseasePhase.UNKNOWN,
        phase_source=latest.source if latest else None,
        phase_date=latest.day if latest else None,
        diagnosis_phase=earliest.phase if earliest else DiseasePhase.UNKNOWN,
        diagnosis_phase_date=earliest.day if earliest else None,
        diagnosis_phase_source=earliest.source if earliest else None,
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
        sex=patients[0].gender if patients else None,
        pregnancy=pregnancy,
        transcript_type=join_transcripts(transcript_names),
        transcript_sources=named_by or tuple(dict.fromkeys(r.source for r in own_scale[:1])),
        tfr_goal=goal is not None,
        tfr_goal_source=goal.source if goal else None,
        cml_diagnosis_sources=conditions.cml_sources,
        bcr_abl1_fusion_sources=kinase.fusion_sources + context.fusion_sources,
        renal=organ.renal,
        hepatic=organ.hepatic,
        potassium=organ.potassium,
        magnesium=organ.magnesium,
        exclusions=log.items,
        unavailable=unavailable,
    )
