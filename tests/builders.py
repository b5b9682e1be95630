"""Builders for FHIR R4 fixtures and hook requests, so tests read as clinical scenarios."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

TODAY = date(2026, 11, 22)
PATIENT = "cml-1"
_ids = itertools.count(1)


def next_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def days_after(start: date, months: float) -> date:
    return start + timedelta(days=round(months * 365.25 / 12))


def bcr_abl1(
    taken: date,
    value: float | None,
    *,
    unit: str | None = "%",
    code: str = "69380-4",
    status: str = "final",
    patient: str = PATIENT,
    ident: str | None = None,
    comparator: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A BCR::ABL1 result Observation (LOINC 69380-4, International Scale, percent by default)."""
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": ident or next_id("bcr"),
        "status": status,
        "code": {"coding": [{"system": "http://loinc.org", "code": code}], "text": "BCR-ABL1/ABL1 IS"},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": taken.isoformat(),
    }
    if value is not None:
        quantity: dict[str, Any] = {"value": value}
        if unit is not None:
            quantity |= {"unit": unit, "system": "http://unitsofmeasure.org", "code": unit}
        if comparator:
            quantity["comparator"] = comparator
        resource["valueQuantity"] = quantity
    resource.update(extra)
    return resource


def bcr_abl1_ratio(
    taken: date,
    value: float | None,
    *,
    transcript: str | None = "e1a2",
    unit: str | None = "%",
    code: str = "46434-7",
    method: str | None = None,
    comparator: str | None = None,
    patient: str = PATIENT,
    ident: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A BCR::ABL1 result *not* on the International Scale: a transcript-specific assay's BCR::ABL1/ABL1 ratio
    (LOINC 46434-7, fusion transcript/control transcript), the transcript named in the code text (`transcript`)
    or in `method`; percent by default. `transcript=None` names none."""
    named = f" {transcript}" if transcript else ""
    resource = bcr_abl1(
        taken,
        value,
        unit=unit,
        code=code,
        patient=patient,
        ident=ident or next_id("ratio"),
        comparator=comparator,
        **extra,
    )
    resource["code"]["text"] = f"BCR::ABL1{named}/ABL1 ratio (transcript-specific assay, not IS)"
    if method:
        resource["method"] = {"text": method}
    return resource


def tki_statement(
    drug: str,
    start: date,
    *,
    end: date | None = None,
    status: str = "active",
    dose_mg: float | None = None,
    per_day: int = 1,
    patient: str = PATIENT,
    ident: str | None = None,
    rxnorm: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A MedicationStatement for a TKI, by generic name (or an RxNorm code)."""
    concept: dict[str, Any] = {"text": drug}
    if rxnorm:
        concept["coding"] = [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": rxnorm}]
    period: dict[str, str] = {"start": start.isoformat()}
    if end:
        period["end"] = end.isoformat()
    resource: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": ident or next_id("ms"),
        "status": status,
        "medicationCodeableConcept": concept,
        "subject": {"reference": f"Patient/{patient}"},
        "effectivePeriod": period,
    }
    if dose_mg is not None:
        resource["dosage"] = [
            {
                "timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": dose_mg, "unit": "mg", "code": "mg"}}],
            }
        ]
    resource.update(extra)
    return resource


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def patient(ident: str = PATIENT) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": ident, "birthDate": "1960-04-02"}


def hook_request(
    *,
    transcripts: list[dict[str, Any]] | None = None,
    medications: list[dict[str, Any]] | None = None,
    variants: list[dict[str, Any]] | None = None,
    orders: list[dict[str, Any]] | None = None,
    conditions: list[dict[str, Any]] | None = None,
    procedures: list[dict[str, Any]] | None = None,
    goals: list[dict[str, Any]] | None = None,
    staging: list[dict[str, Any]] | None = None,
    patient_id: str = PATIENT,
    hook: str = "patient-view",
    **overrides: Any,
) -> dict[str, Any]:
    """A complete patient-view request with every prefetch key the service publishes."""
    request: dict[str, Any] = {
        "hook": hook,
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/example", "patientId": patient_id},
        "prefetch": {
            "patient": patient(patient_id),
            "bcrAbl1": bundle(*(transcripts or [])),
            "kinaseDomainVariants": bundle(*(variants or [])),
            "medicationStatements": bundle(*(medications or [])),
            "medicationRequests": bundle(*(orders or [])),
            "conditions": bundle(*(conditions or [])),
            "procedures": bundle(*(procedures or [])),
            "goals": bundle(*(goals or [])),
            "blasts": bundle(),
            "blastsByName": bundle(),
            "bloodCounts": bundle(),
            "karyotype": bundle(),
            "pregnancyStatus": bundle(),
            "transcriptType": bundle(),
            "phaseStaging": bundle(*(staging or [])),
        },
    }
    request.update(overrides)
    return request


def kd_variant(
    taken: date,
    protein_change: str | None,
    *,
    vaf: float | None = None,
    patient: str = PATIENT,
    ident: str | None = None,
) -> dict[str, Any]:
    """A Genomics Reporting IG (STU3) Variant Observation for ABL1; `None` = no mutation detected."""
    components: list[dict[str, Any]] = [
        {
            "code": {"coding": [{"system": "http://loinc.org", "code": "48018-6"}]},
            "valueCodeableConcept": {
                "coding": [{"system": "http://www.genenames.org/geneId", "code": "HGNC:76", "display": "ABL1"}]
            },
        }
    ]
    if protein_change is not None:
        components.append(
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "48005-3"}]},
                "valueCodeableConcept": {
                    "coding": [{"system": "http://varnomen.hgvs.org", "code": f"NP_005148.2:p.{protein_change}"}]
                },
            }
        )
    if vaf is not None:
        components.append(
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "81258-6"}]},
                "valueQuantity": {"value": vaf, "system": "http://unitsofmeasure.org", "code": "1"},
            }
        )
    present = protein_change is not None
    return {
        "resourceType": "Observation",
        "id": ident or next_id("var"),
        "meta": {"profile": ["http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/variant"]},
        "status": "final",
        "category": [
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}
        ],
        "code": {
            "coding": [{"system": "http://loinc.org", "code": "69548-6", "display": "Genetic variant assessment"}]
        },
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": taken.isoformat(),
        "valueCodeableConcept": {
            "coding": [
                {
                    "system": "http://loinc.org",
                    "code": "LA9633-4" if present else "LA9634-2",
                    "display": "Present" if present else "Absent",
                }
            ]
        },
        "component": components,
    }


def condition(
    snomed: str | None = None,
    display: str = "",
    *,
    icd10: str | None = None,
    patient: str = PATIENT,
    ident: str | None = None,
    onset: date | None = None,
) -> dict[str, Any]:
    """An active, confirmed Condition coded in SNOMED CT and/or ICD-10-CM."""
    coding = []
    if snomed:
        coding.append({"system": "http://snomed.info/sct", "code": snomed, "display": display})
    if icd10:
        coding.append({"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": icd10, "display": display})
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": ident or next_id("cond"),
        "clinicalStatus": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]
        },
        "verificationStatus": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]
        },
        "code": {"coding": coding, "text": display},
        "subject": {"reference": f"Patient/{patient}"},
    }
    if onset:
        resource["onsetDateTime"] = onset.isoformat()
    return resource


# --- Added for issue #3 (FHIR mapping): more real-world shapes -------------------------------------------


def haplotype(
    taken: date, *members: dict[str, Any], patient: str = PATIENT, ident: str | None = None
) -> dict[str, Any]:
    """A Genomics Reporting Haplotype (LOINC 84414-2): a compound mutation whose members are variants."""
    return {
        "resourceType": "Observation",
        "id": ident or next_id("hap"),
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "84414-2", "display": "Haplotype name"}]},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": taken.isoformat(),
        "valueCodeableConcept": {"text": "compound"},
        "hasMember": [{"reference": f"Observation/{m['id']}"} for m in members],
    }


def lab_observation(
    loinc: str,
    taken: date,
    *,
    text: str | None = None,
    value: Any = None,
    unit: str | None = None,
    status: str = "final",
    patient: str = PATIENT,
    ident: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A generic Observation: `value` str → valueString, number → valueQuantity (with `unit`)."""
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": ident or next_id("obs"),
        "status": status,
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}], **({"text": text} if text else {})},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": taken.isoformat(),
    }
    if isinstance(value, str):
        resource["valueString"] = value
    elif value is not None:
        quantity: dict[str, Any] = {"value": value}
        if unit:
            quantity |= {"unit": unit, "system": "http://unitsofmeasure.org", "code": unit}
        resource["valueQuantity"] = quantity
    resource.update(extra)
    return resource


def stage_group(
    taken: date | None,
    *,
    snomed: str | None = None,
    text: str | None = None,
    loinc: str = "21908-9",
    status: str = "final",
    patient: str = PATIENT,
    ident: str | None = None,
) -> dict[str, Any]:
    """An mCODE-style stage-group Observation (LOINC 21908-9 clinical, 21902-2 pathology) whose value is a
    stage: a SNOMED code and/or text (the CML phase, or anything else)."""
    value: dict[str, Any] = {}
    if snomed:
        value["coding"] = [{"system": "http://snomed.info/sct", "code": snomed}]
    if text:
        value["text"] = text
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": ident or next_id("stage"),
        "status": status,
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "subject": {"reference": f"Patient/{patient}"},
        "valueCodeableConcept": value,
    }
    if taken is not None:
        resource["effectiveDateTime"] = taken.isoformat()
    return resource


def medication_request(
    drug: str,
    authored: date,
    *,
    status: str = "active",
    intent: str = "order",
    rxnorm: str | None = None,
    dose_text: str | None = None,
    patient: str = PATIENT,
    ident: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An R4 MedicationRequest for a drug by name (or RxNorm code), optionally with a dose text."""
    concept: dict[str, Any] = {"text": drug}
    if rxnorm:
        concept["coding"] = [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": rxnorm}]
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": ident or next_id("mr"),
        "status": status,
        "intent": intent,
        "medicationCodeableConcept": concept,
        "subject": {"reference": f"Patient/{patient}"},
        "authoredOn": authored.isoformat(),
    }
    if dose_text:
        resource["dosageInstruction"] = [{"text": dose_text}]
    resource.update(extra)
    return resource


def procedure(
    snomed: str | None,
    performed: date | None,
    *,
    text: str = "",
    status: str = "completed",
    patient: str = PATIENT,
    ident: str | None = None,
) -> dict[str, Any]:
    """A Procedure coded in SNOMED CT (or text only)."""
    code: dict[str, Any] = {"text": text} if text else {}
    if snomed:
        code["coding"] = [{"system": "http://snomed.info/sct", "code": snomed}]
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": ident or next_id("proc"),
        "status": status,
        "code": code,
        "subject": {"reference": f"Patient/{patient}"},
    }
    if performed:
        resource["performedDateTime"] = performed.isoformat()
    return resource
