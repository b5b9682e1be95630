"""Inputs for the mapping-equivalence test (test_observation_kinds.py): the bench courses, synthetic patients of
several sizes and hostile Observations whose codes and names disagree, so that every way an Observation can be
sorted (by LOINC code, by a code in another system, by its name, by several of them) is mapped.

`python -m tests.fhir_mapping.mapping_cases` writes the reference (inputs and the snapshots built from them) to
`data/mapping_reference.json.gz`; it was made on commit 28aaeaa, before the Observations were sorted once by
kind (observation_kinds.py), so the test compares the new mapping with the old one. The inputs are stored with
the snapshots: tests/builders.py numbers its ids in the order it is called, which the reference must not
depend on.
"""

from __future__ import annotations

import gzip
import itertools
import json
from datetime import date
from pathlib import Path
from typing import Any

import msgspec

from fhir_mapping import build_snapshot
from fhir_mapping.decode import decode_prefetch

REFERENCE = Path(__file__).with_name("data") / "mapping_reference.json.gz"
PATIENT = "cml-1"
AS_OF = date(2026, 11, 22)
_LOINC = "http://loinc.org"
_SNOMED = "http://snomed.info/sct"
_LOCAL = "http://example.org/lab-codes"

#: Codes every mapper reads from an Observation's code (molecular, kinase domain, counts, organ function,
#: pregnancy), plus a LOINC code none of them reads.
_CODES = (
    "69380-4",  # BCR::ABL1 IS
    "46434-7",  # BCR::ABL1 non-IS ratio
    "21795-0",  # BCR::ABL1 FISH cell count
    "69548-6",  # variant
    "55135-8",  # mutation analysis
    "84414-2",  # haplotype
    "26446-5",  # blasts
    "706-2",  # basophils
    "26515-7",  # platelets
    "777-3",  # platelets
    "2164-2",  # creatinine clearance
    "62238-1",  # eGFR
    "2823-3",  # potassium
    "19123-9",  # magnesium
    "82810-3",  # pregnancy status
    "11778-8",  # delivery date
    "63895-7",  # breastfeeding status
    "1234-5",  # not read by any mapper
)
_CODINGS: tuple[dict[str, Any], ...] = (
    *({"system": _LOINC, "code": code} for code in _CODES),
    {"system": _SNOMED, "code": "413712001"},  # breastfeeding status in SNOMED
    {"system": _LOCAL, "code": "69380-4"},  # a LOINC code in another system
    {"system": _LOCAL, "code": "26446-5"},
    {"code": "2823-3"},  # no system
    {"system": _LOINC},  # no code
    {"system": _LOINC, "code": ""},
    {"system": _LOCAL, "code": "CP", "display": "Child-Pugh score"},
    {"system": _LOINC, "code": "1234-5", "display": "Blasts/100 cells in Bone marrow"},
)
_NAMES = (
    None,
    "Blasts in bone marrow",
    "Blasts+Promyelocytes/100 leukocytes in Blood",
    "Child-Pugh class",
    "child pugh score",
    "Karyotype",
    "Cytogenetic analysis (ISCN)",
    "BCR-ABL1 e1a2 transcript",
    "p190 BCR::ABL1",
    "Potassium",
    "BCR-ABL1/ABL1 IS",
    "blasts",  # a blast word without a place: not a count by name
)
_VALUES: tuple[dict[str, Any], ...] = (
    {"valueQuantity": {"value": 5, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}},
    {"valueQuantity": {"value": 4.1, "unit": "mmol/L", "code": "mmol/L"}},
    {"valueQuantity": {"value": 250, "unit": "10*9/L", "code": "10*9/L"}},
    {"valueQuantity": {"value": 95, "unit": "10*9/L", "code": "10*9/L"}},
    {"valueQuantity": {"value": 64, "unit": "mL/min", "code": "mL/min"}},
    {"valueQuantity": {"value": 0.02, "code": "1"}},
    {"valueQuantity": {"value": 8}},
    {"valueInteger": 11},
    {"valueString": "46,XY,t(9;22)(q34;q11.2)[18]/47,XY,+8,t(9;22)(q34;q11.2)[2]"},
    {"valueString": "Class B"},
    {"valueString": "0.5% IS e14a2"},
    {"valueString": "T315I detected"},
    {"valueString": "no mutation detected"},
    {"valueCodeableConcept": {"coding": [{"system": _LOINC, "code": "LA15173-0"}], "text": "Pregnant"}},
    {"valueCodeableConcept": {"coding": [{"system": _SNOMED, "code": "169750002"}]}},
    {"valueCodeableConcept": {"coding": [{"system": _LOINC, "code": "LA9634-2"}], "text": "Not detected"}},
    {"valueBoolean": True},
    {"valueDateTime": "2027-03-01"},
    {"valueDateTime": "2026-01-01"},
    {
        "valueCodeableConcept": {"text": "variant"},
        "component": [
            {
                "code": {"coding": [{"system": _LOINC, "code": "48018-6"}]},
                "valueCodeableConcept": {"coding": [{"system": "http://www.genenames.org/geneId", "code": "HGNC:76"}]},
            },
            {"code": {"coding": [{"system": _LOINC, "code": "48005-3"}]}, "valueString": "p.Glu255Lys"},
            {"code": {"coding": [{"system": _LOINC, "code": "81291-7"}]}, "valueString": "46,XX,t(9;22)(q34;q11)"},
            {"code": {"text": "ABL1 copies"}, "valueInteger": 45000},
        ],
    },
    {},  # no value
)
_STATUSES = ("final", "preliminary", "cancelled", None, "amended", "registered")


def _observation(
    ident: str, codings: list[dict[str, Any]], name: str | None, value: dict[str, Any], status: str | None, day: int
) -> dict[str, Any]:
    code: dict[str, Any] = {}
    if codings:
        code["coding"] = codings
    if name is not None:
        code["text"] = name
    resource: dict[str, Any] = {"resourceType": "Observation", "id": ident, "code": code}
    if status is not None:
        resource["status"] = status
    resource["subject"] = {"reference": f"Patient/{PATIENT}"}
    resource["effectiveDateTime"] = date.fromordinal(AS_OF.toordinal() - 30 * (1 + day % 40)).isoformat()
    return resource | value


def _bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def _prefetch(observations: list[dict[str, Any]]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": PATIENT, "birthDate": "1980-05-01", "gender": "female"}
    return {"patient": patient, "observations": _bundle(observations)}


def hostile_cases() -> list[tuple[str, dict[str, Any]]]:
    """(name, prefetch): every coding alone, and every ordered pair (coded twice, in two systems, two kinds at
    once, the same code twice), each under every name in turn and with a value and status that change from
    one Observation to the next; every coding with every name and value; a name with no code at all."""
    cases: list[tuple[str, dict[str, Any]]] = []
    counter = itertools.count()
    alone = []
    for coding, name, value in itertools.product(_CODINGS, _NAMES, _VALUES):
        i = next(counter)
        alone.append(_observation(f"a{i}", [coding], name, value, _STATUSES[i % len(_STATUSES)], i))
    for start in range(0, len(alone), 400):
        cases.append((f"hostile: one coding, every name and value ({start})", _prefetch(alone[start : start + 400])))
    pairs = []
    for (first, second), name in zip(itertools.product(_CODINGS, _CODINGS), itertools.cycle(_NAMES), strict=False):
        i = next(counter)
        value = _VALUES[i % len(_VALUES)]
        pairs.append(_observation(f"p{i}", [first, second], name, value, _STATUSES[i % len(_STATUSES)], i))
    for start in range(0, len(pairs), 300):
        cases.append((f"hostile: two codings ({start})", _prefetch(pairs[start : start + 300])))
    uncoded = [
        _observation(f"u{i}", [], name, value, "final", i)
        for i, (name, value) in enumerate(itertools.product(_NAMES, _VALUES))
    ]
    cases.append(("hostile: named but uncoded", _prefetch(uncoded)))
    # each coding under each name in a patient of its own, so the latest-of-each choices are made among few
    # records, with a value of every shape on days in no particular order
    for (k, coding), (m, name) in itertools.product(enumerate(_CODINGS), enumerate(_NAMES)):
        single = [
            _observation(f"s{k}-{m}-{j}", [coding], name, value, _STATUSES[(j + k) % 2], (j * 7 + k + m) % 23)
            for j, value in enumerate(_VALUES)
        ]
        cases.append((f"hostile: {coding.get('system')} {coding.get('code')} named {name}", _prefetch(single)))
    for m, name in enumerate(_NAMES):
        single = [
            _observation(f"n{m}-{j}", [], name, value, "final", (j * 5 + m) % 17) for j, value in enumerate(_VALUES)
        ]
        cases.append((f"hostile: uncoded, named {name}", _prefetch(single)))
    return cases


def all_cases() -> list[tuple[str, str, dict[str, Any], date]]:
    """(name, patient id, prefetch, as of) of every input."""
    from bench.courses import COURSES, TODAY
    from bench.patients import hook_request

    cases = [(f"course: {c.name}", c.request["context"]["patientId"], c.request["prefetch"], TODAY) for c in COURSES]
    for n in (0, 1, 7, 60, 150):
        request = hook_request(n, today=AS_OF)
        cases.append((f"bench patient, {n} results", request["context"]["patientId"], request["prefetch"], AS_OF))
    cases += [(name, PATIENT, prefetch, AS_OF) for name, prefetch in hostile_cases()]
    return cases


def snapshots(patient_id: str, prefetch: dict[str, Any], as_of: date) -> tuple[Any, Any]:
    """The snapshot as plain JSON, mapped from the prefetch as plain dicts (read by lax.py) and as the service
    decodes a request body (slim Structs)."""
    plain = build_snapshot(patient_id, prefetch, as_of)
    decoded = build_snapshot(patient_id, decode_prefetch(msgspec.Raw(msgspec.json.encode(prefetch))), as_of)
    return msgspec.json.decode(msgspec.json.encode(plain)), msgspec.json.decode(msgspec.json.encode(decoded))


def main() -> None:
    reference = []
    for name, patient_id, prefetch, as_of in all_cases():
        plain, decoded = snapshots(patient_id, prefetch, as_of)
        reference.append(
            {
                "name": name,
                "patient": patient_id,
                "as_of": as_of.isoformat(),
                "prefetch": prefetch,
                "plain": plain,
                "decoded": decoded,
            }
        )
    REFERENCE.parent.mkdir(exist_ok=True)
    text = json.dumps(reference, separators=(",", ":"), sort_keys=True)
    REFERENCE.write_bytes(gzip.compress(text.encode(), mtime=0))
    print(f"{len(reference)} cases, {len(text)} characters -> {REFERENCE}")


if __name__ == "__main__":
    main()
