"""Synthetic CML patients of any size, as a complete `patient-view` hook request.

Why its own generators (not tests/builders.py): the benchmark must not import the test suite. The
shapes are the same FHIR R4 resources the service maps: BCR::ABL1 Observations (LOINC 69380-4, % IS),
TKI MedicationStatements with dosage, Genomics Reporting variant Observations and Conditions.
"""

from __future__ import annotations

import argparse
import json
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

__all__ = ["PATIENT", "add_patient_arguments", "chart_label", "count_pair", "hook_request", "hook_request_bytes"]

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


#: A problem list and co-medications as a hospital record has them (`hook_request(problems=...)`): ICD-10
#: coded conditions with their names, and everyday medicines by name (omeprazole among them, as often).
_PROBLEMS = (
    ("I10", "Essential hypertension"),
    ("E11.9", "Type 2 diabetes mellitus"),
    ("E78.5", "Hyperlipidaemia"),
    ("M17.1", "Osteoarthritis of knee"),
    ("J45.9", "Asthma"),
    ("K21.9", "Gastro-oesophageal reflux disease"),
    ("N18.3", "Chronic kidney disease stage 3"),
    ("F32.9", "Depression"),
    ("E03.9", "Hypothyroidism"),
    ("M10.9", "Gout"),
    ("N40", "Benign prostatic hyperplasia"),
    ("H26.9", "Cataract"),
    ("G43.9", "Migraine"),
    ("D64.9", "Anaemia"),
)
_COMEDICATIONS = (
    "omeprazole 20 mg capsule",
    "amlodipine 5 mg tablet",
    "atorvastatin 20 mg tablet",
    "metformin 500 mg tablet",
    "ramipril 5 mg capsule",
    "aspirin 75 mg tablet",
    "levothyroxine 50 microgram tablet",
    "sertraline 50 mg tablet",
    "paracetamol 500 mg tablet",
    "allopurinol 100 mg tablet",
    "bisoprolol 2.5 mg tablet",
    "furosemide 40 mg tablet",
)


def _problem(i: int) -> dict[str, Any]:
    code, name = _PROBLEMS[i % len(_PROBLEMS)]
    term = "http://terminology.hl7.org/CodeSystem/"
    return {
        "resourceType": "Condition",
        "id": f"problem-{i}",
        "clinicalStatus": {"coding": [{"system": term + "condition-clinical", "code": "active"}]},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": code}], "text": name},
        "subject": _SUBJECT,
        "recordedDate": "2019-03-01",
    }


def _comedication(i: int) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": f"comed-{i}",
        "status": "active",
        "medicationCodeableConcept": {"text": _COMEDICATIONS[i % len(_COMEDICATIONS)]},
        "subject": _SUBJECT,
        "effectivePeriod": {"start": "2020-01-01"},
    }


def hook_request(results: int, today: date | None = None, problems: tuple[int, int] = (0, 0)) -> dict[str, Any]:
    """A patient with `results` BCR::ABL1 results spread over the TKI history up to `today`.

    Medications, variants and conditions grow slowly with size (a switch of TKI every ~quarter of the
    history, a variant test per switch), as in a real record. `problems` = (conditions, co-medications)
    adds a problem list and everyday medicines: a hospital patient's chart, where those outnumber the
    TKI records.
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
    ] + [_problem(i) for i in range(problems[0])]
    medications += [_comedication(i) for i in range(problems[1])]
    return {
        "hook": "patient-view",
        "hookInstance": f"00000000-0000-4000-8000-{results:012d}",
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
            "pregnancyStatus": _bundle([]),
            "transcriptType": _bundle([]),
            "phaseStaging": _bundle([]),
        },
    }


def chart_label(problems: tuple[int, int]) -> str:
    """How a report names what `problems` added: " + 40 conditions, 30 co-medications", or nothing."""
    conditions, comedications = problems
    return f" + {conditions} conditions, {comedications} co-medications" if any(problems) else ""


def hook_request_bytes(results: int, today: date | None = None, problems: tuple[int, int] = (0, 0)) -> bytes:
    return json.dumps(hook_request(results, today, problems), separators=(",", ":")).encode()


def count_pair(text: str) -> tuple[int, int]:
    """Two counts as a command line gives them: "40,30" → (40, 30); anything else is refused (ValueError)."""
    first, second = text.split(",")
    return int(first), int(second)


def add_patient_arguments(parser: argparse.ArgumentParser) -> None:
    """`--results` and `--problems`: the patient a bench command sends (`hook_request_bytes`)."""
    parser.add_argument("--results", type=int, default=60)
    parser.add_argument(
        "--problems",
        type=count_pair,
        default=(0, 0),
        help="conditions,co-medications added to the chart (patients.hook_request), e.g. 40,30",
    )
