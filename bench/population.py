"""A test population as Bulk Data NDJSON: 10 to 100,000 CML patients with realistic courses.

Each patient's course is one of the repository's own: nine in ten from the seeded generator of the coherence
corpus (tests/coherence/corpus.py: 1–4 treatment lines, responses, losses, TFR attempts, mutations, phases,
co-medications, same-day duplicates), one in ten a course of bench.courses.COURSES (the vignettes and the
everyday clinic), both built with tests/builders.py. Every resource gets the patient's id and an id of its
own (references inside the course rewritten to match). A hospital record holds much more than what the
CML algorithm reads, so each patient also gets a chart (`chart=True`): a routine laboratory panel (full blood
count without the differential, chemistry) every four months for the years the course spans, and a few
problem-list entries: on average ≈100 resources a patient, ≈10 million for 100,000 patients. The chart's
resources are read and mapped like any other; no rule reads the laboratory panel (tests/worklist check that it
changes no row), while the problem list holds comorbidities the hook reads too (`--no-chart` leaves both out).

`python -m bench.population DIR --patients N [--seed S] [--gzip]` writes DIR/Patient.ndjson,
Observation.ndjson, … (the Bulk Data file layout, one file per type).
"""

from __future__ import annotations

import argparse
import gzip
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast

import msgspec

from bench.courses import COURSES, TODAY
from tests.coherence.corpus import iterate

__all__ = ["TODAY", "course_resources", "population", "relabel", "write_population"]

#: LOINC code, name, unit, (low, high) of a normal value: a routine panel no CML rule reads.
_PANEL = (
    ("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", (11.5, 15.5)),
    ("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", (4.0, 10.0)),
    ("751-8", "Neutrophils [#/volume] in Blood by Automated count", "10*3/uL", (2.0, 7.0)),
    ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", (0.6, 1.2)),
    ("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L", (10, 40)),
    ("1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", "mg/dL", (0.3, 1.1)),
)
_PROBLEMS = (
    ("I10", "Essential hypertension"),
    ("E11.9", "Type 2 diabetes mellitus"),
    ("E78.5", "Hyperlipidaemia"),
    ("M17.1", "Osteoarthritis of knee"),
    ("J45.9", "Asthma"),
    ("F32.9", "Depression"),
    ("E03.9", "Hypothyroidism"),
    ("H26.9", "Cataract"),
)
_ENCODER = msgspec.json.Encoder()


def course_resources(request: dict[str, Any]) -> list[dict[str, Any]]:
    """Every resource of a patient-view request's prefetch, once (a resource under two keys counts once)."""
    seen: set[tuple[str, str]] = set()
    out: list[dict[str, Any]] = []
    for value in request["prefetch"].values():
        if not isinstance(value, dict):
            continue
        items = [e["resource"] for e in value.get("entry", [])] if value.get("resourceType") == "Bundle" else [value]
        for resource in items:
            key = (str(resource.get("resourceType")), str(resource.get("id")))
            if key not in seen:
                seen.add(key)
                out.append(resource)
    return out


def relabel(resources: list[dict[str, Any]], old: str, new: str) -> list[dict[str, Any]]:
    """The resources as patient `new`'s: ids prefixed with `new`, `Patient/old` and every reference to a resource
    of the set rewritten (a haplotype's members, a statement's Medication)."""
    ids = {(r["resourceType"], str(r["id"])) for r in resources if "id" in r and r.get("resourceType") != "Patient"}
    mapping = {f"{kind}/{ident}": f"{kind}/{new}-{ident}" for kind, ident in ids}
    mapping[f"Patient/{old}"] = f"Patient/{new}"

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            out = {k: walk(v) for k, v in value.items()}
            reference = out.get("reference")
            if isinstance(reference, str) and reference in mapping:
                out["reference"] = mapping[reference]
            return out
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    relabelled = []
    for resource in resources:
        copy = walk(resource)
        if copy.get("resourceType") == "Patient":
            copy["id"] = new
        elif "id" in copy:
            copy["id"] = f"{new}-{copy['id']}"
        relabelled.append(copy)
    return relabelled


def _chart(rng: random.Random, patient: str, first: date) -> Iterator[dict[str, Any]]:
    subject = {"reference": f"Patient/{patient}"}
    day, number = first, 0
    while day <= TODAY:
        for code, name, unit, (low, high) in _PANEL:
            number += 1
            yield {
                "resourceType": "Observation",
                "id": f"{patient}-lab{number}",
                "status": "final",
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                "code": "laboratory",
                            }
                        ]
                    }
                ],
                "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": name}], "text": name},
                "subject": subject,
                "effectiveDateTime": day.isoformat(),
                "valueQuantity": {
                    "value": round(rng.uniform(low, high), 1),
                    "unit": unit,
                    "system": "http://unitsofmeasure.org",
                    "code": unit,
                },
            }
        day += timedelta(days=122)
    for index in rng.sample(range(len(_PROBLEMS)), rng.randint(0, 3)):
        code, name = _PROBLEMS[index]
        yield {
            "resourceType": "Condition",
            "id": f"{patient}-problem{index}",
            "clinicalStatus": {
                "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]
            },
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": code}], "text": name},
            "subject": subject,
            "recordedDate": "2019-03-01",
        }


def _first_date(resources: list[dict[str, Any]]) -> date:
    """The earliest date of the course (its first treatment or result), at most ten years back."""
    days = []
    for resource in resources:
        for value in (resource.get("effectiveDateTime"), (resource.get("effectivePeriod") or {}).get("start")):
            if isinstance(value, str) and len(value) >= 10:
                days.append(value[:10])
    earliest = min(days, default=(TODAY - timedelta(days=730)).isoformat())
    return max(date.fromisoformat(earliest), TODAY - timedelta(days=3653))


def population(count: int, seed: int = 26, chart: bool = True) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(patient id, resources) for `count` patients; the same seed gives the same population."""
    rng = random.Random(seed)
    generated = iterate(count, seed)
    for index, course in enumerate(generated):
        patient = f"p{index:06d}"
        request = COURSES[(index // 10) % len(COURSES)].request if index % 10 == 9 else course.request
        old = request["context"]["patientId"]
        resources = relabel(course_resources(request), old, patient)
        if chart:
            resources += list(_chart(rng, patient, _first_date(resources)))
        yield patient, resources


def write_population(
    folder: Path, count: int, seed: int = 26, chart: bool = True, compress: bool = False
) -> Counter[str]:
    """The population as one NDJSON file per type in `folder`; returns the resources written by type."""
    folder.mkdir(parents=True, exist_ok=True)
    counts: Counter[str] = Counter()
    with ExitStack() as stack:
        files: dict[str, BinaryIO] = {}
        for _patient, resources in population(count, seed, chart):
            for resource in resources:
                kind = resource["resourceType"]
                handle = files.get(kind)
                if handle is None:
                    name = f"{kind}.ndjson" + (".gz" if compress else "")
                    path = folder / name
                    opened = gzip.open(path, "wb", compresslevel=1) if compress else path.open("wb")  # noqa: SIM115
                    handle = files[kind] = cast(BinaryIO, stack.enter_context(opened))
                handle.write(_ENCODER.encode(resource) + b"\n")
                counts[kind] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.population", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=26)
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--no-chart", action="store_true")
    args = parser.parse_args()
    counts = write_population(args.folder, args.patients, args.seed, not args.no_chart, args.gzip)
    print(f"{args.patients:,} patients, {sum(counts.values()):,} resources: {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main()
