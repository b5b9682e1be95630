"""Synthetic CML patients of any size, as a complete `patient-view` hook request.

Why its own generators (not tests/builders.py): the benchmark must not import the test suite. The
shapes are the same FHIR R4 resources the service maps: BCR::ABL1 Observations (LOINC 69380-4, % IS),
TKI MedicationStatements with dosage, Genomics Reporting variant Observations and Conditions.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

__all__ = ["PATIENT", "hook_request", "hook_request_bytes"]

PATIENT = "bench-1"
_SUBJECT = {"reference": f"Patient/{PATIENT}"}
_TKIS = (("imatinib", 400, 1), ("dasatinib", 100, 1), ("nilotinib", 300, 2), ("bosutinib", 500, 1))
_VARIANTS = ("Thr315Ile", "Glu255Val", "Phe359Val", "Tyr253His")


def _bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def _when(start: datetime, span: timedelta, i: int, n: int) -> datetime:
    return start + span * (i / max(n - 1, 1))


def _bcr_abl1(i: int, taken: datetime) -> dict[str, Any]:
    # A slow log-linear decline with a rise in the last tenth: realistic work for the response stages.
    value = round(max(0.001, 40.0 * math.exp(-i / 40.0)) * (3.0 if i % 10 == 9 else 1.0), 4)
    return {
        "resourceType": "Observation",
        "id": f"bcr-{i}",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "69380-4"}], "text": "BCR-ABL1/ABL1 IS"},
        "subject": _SUBJECT,
        "effectiveDateTime": taken.isoformat().replace("+00:00", "Z"),
        "valueQuantity": {"value": value, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"},
    }


def _statement(i: int, drug: str, dose: int, per_day: int, start: date, end: date | None) -> dict[str, Any]:
    period = {"start": start.isoformat()} | ({"end": end.isoformat()} if end else {})
    return {
        "resourceType": "MedicationStatement",
        "id": f"ms-{i}",
        "status": "completed" if end else "active",
        "medicationCodeableConcept": {"text": drug},
        "subject": _SUBJECT,
        "effectivePeriod": period,
        "dosage": [
            {
                "timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": dose, "unit": "mg", "code": "mg"}}],
            }
        ],
    }


def _variant(i: int, taken: date, change: str) -> dict[str, Any]:
    loinc = "http://loinc.org"
    return {
        "resourceType": "Observation",
        "id": f"var-{i}",
        "meta": {"profile": ["http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/variant"]},
        "status": "final",
        "code": {"coding": [{"system": loinc, "code": "69548-6", "display": "Genetic variant assessment"}]},
        "subject": _SUBJECT,
        "effectiveDateTime": taken.isoformat(),
        "valueCodeableConcept": {"coding": [{"system": loinc, "code": "LA9633-4", "display": "Present"}]},
        "component": [
            {
                "code": {"coding": [{"system": loinc, "code": "48018-6"}]},
                "valueCodeableConcept": {"coding": [{"system": "http://www.genenames.org/geneId", "code": "HGNC:76"}]},
            },
            {
                "code": {"coding": [{"system": loinc, "code": "48005-3"}]},
                "valueCodeableConcept": {
                    "coding": [{"system": "http://varnomen.hgvs.org", "code": f"NP_005148.2:p.{change}"}]
                },
            },
        ],
    }


def _condition(i: int, snomed: str, display: str) -> dict[str, Any]:
    term = "http://terminology.hl7.org/CodeSystem/"
    return {
        "resourceType": "Condition",
        "id": f"cond-{i}",
        "clinicalStatus": {"coding": [{"system": term + "condition-clinical", "code": "active"}]},
        "verificationStatus": {"coding": [{"system": term + "condition-ver-status", "code": "confirmed"}]},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": snomed, "display": display}]},
        "subject": _SUBJECT,
    }


def hook_request(results: int, today: date | None = None) -> dict[str, Any]:
    """A patient with `results` BCR::ABL1 results spread over the TKI history up to `today`.

    Medications, variants and conditions grow slowly with size (a switch of TKI every ~quarter of the
    history, a variant test per switch), as in a real record.
    """
    today = today or datetime.now(UTC).date()
    years = 8 if results >= 60 else 2
    start = datetime.combine(today - timedelta(days=365 * years), datetime.min.time(), tzinfo=UTC)
    span = datetime.combine(today, datetime.min.time(), tzinfo=UTC) - start - timedelta(days=7)
    transcripts = [_bcr_abl1(i, _when(start, span, i, results)) for i in range(results)]
    switches = min(len(_TKIS), 1 + results // 25)
    bounds = [start.date() + (today - start.date()) * k / switches for k in range(switches + 1)]
    medications = [
        _statement(k, *_TKIS[k], bounds[k], bounds[k + 1] if k < switches - 1 else None) for k in range(switches)
    ]
    variants = [_variant(k, bounds[k + 1], _VARIANTS[k]) for k in range(switches - 1)]
    conditions = [
        _condition(0, "38341003", "Hypertensive disorder"),
        _condition(1, "49601007", "Cardiovascular disease"),
    ]
    return {
        "hook": "patient-view",
        "hookInstance": f"bench-{results}",
        "context": {"userId": "Practitioner/bench", "patientId": PATIENT},
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": PATIENT, "birthDate": "1960-04-02"},
            "bcrAbl1": _bundle(transcripts),
            "kinaseDomainVariants": _bundle(variants),
            "medicationStatements": _bundle(medications),
            "medicationRequests": _bundle([]),
            "conditions": _bundle(conditions),
            "procedures": _bundle([]),
            "goals": _bundle([]),
            "blasts": _bundle([]),
            "blastsByName": _bundle([]),
            "bloodCounts": _bundle([]),
            "karyotype": _bundle([]),
            "transcriptType": _bundle([]),
        },
    }


def hook_request_bytes(results: int, today: date | None = None) -> bytes:
    return json.dumps(hook_request(results, today), separators=(",", ":")).encode()
