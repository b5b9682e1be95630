"""Decoding the body straight into slim models maps exactly what mapping the parsed dicts maps.

The route decodes the prefetch from bytes (fhir_mapping/decode.py); the FHIR reader and callers hand in
dicts. Both must give the same snapshot, and a resource that does not fit its model must still be
excluded with its first validation error, never fail the request.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from cds_hooks.body import decode_hook_request
from fhir_mapping import build_snapshot
from fhir_mapping.resources import Observation
from tests.builders import PATIENT, TODAY, bcr_abl1, bundle, hook_request, patient, tki_statement

START = date(2025, 1, 6)


def _awkward_request() -> dict[str, Any]:
    """Good data mixed with everything the mapping must report: each kind of bad resource once."""
    good = [bcr_abl1(date(2025, 4, 7), 12.0, ident="bcr-good-1"), bcr_abl1(date(2025, 7, 7), 4.0, ident="bcr-good-2")]
    not_a_number = bcr_abl1(date(2025, 10, 6), None, ident="bcr-bad-value", valueQuantity={"value": "lots"})
    wrong_patient_and_bad = bcr_abl1(date(2025, 10, 6), None, ident="bcr-other", patient="someone-else")
    wrong_patient_and_bad["valueQuantity"] = {"value": []}
    duplicate = bcr_abl1(date(2025, 4, 7), 99.0, ident="bcr-good-1")
    numeric_id = bcr_abl1(date(2025, 4, 8), 3.0)
    numeric_id["id"] = 17
    coerced = bcr_abl1(date(2025, 11, 3), None, ident="bcr-string-value", valueQuantity={"value": "2.5", "code": "%"})
    medication = {"resourceType": "Medication", "id": "med-1", "code": {"text": "Dasatinib 100 mg tablet"}}
    by_reference = tki_statement("imatinib", START, dose_mg=400, ident="ms-by-reference")
    by_reference.pop("medicationCodeableConcept", None)
    by_reference["medicationReference"] = {"reference": "Medication/med-1"}
    bad_statement = tki_statement("nilotinib", START, dose_mg=300, ident="ms-bad-dosage")
    bad_statement["dosage"] = "twice a day"
    request = hook_request(
        transcripts=[*good, not_a_number, wrong_patient_and_bad, duplicate, numeric_id, coerced],
        medications=[by_reference, medication, bad_statement],
    )
    prefetch = request["prefetch"]
    prefetch["bcrAbl1"]["entry"] += [{"fullUrl": "urn:x"}, {"resource": None}, {"resource": "text"}]
    prefetch["procedures"] = {"resourceType": "Bundle", "entry": {"resource": {}}}
    prefetch["conditions"] = bundle({"resourceType": "Specimen", "id": "sp-1"}, {"resourceType": "OperationOutcome"})
    prefetch["patient"] = patient(PATIENT) | {"birthDate": 1960}
    prefetch["blasts"] = bundle(patient("another-patient"))
    return request


def test_bytes_and_dicts_give_the_same_snapshot() -> None:
    body = json.dumps(_awkward_request()).encode()
    from_bytes = decode_hook_request(body).prefetch or {}
    from_dicts = json.loads(body)["prefetch"]
    assert any(isinstance(v, Observation) for b in from_bytes.values() for v in _resources(b))
    assert build_snapshot(PATIENT, from_bytes, TODAY) == build_snapshot(PATIENT, from_dicts, TODAY)


def _resources(value: Any) -> list[Any]:
    return list(getattr(value, "resources", []))


def test_every_bad_resource_is_reported_once_and_the_good_ones_are_read() -> None:
    body = json.dumps(_awkward_request()).encode()
    snapshot = build_snapshot(PATIENT, decode_hook_request(body).prefetch or {}, TODAY)
    assert [(t.source, t.percent_is) for t in snapshot.transcripts] == [
        ("Observation/bcr-good-1", 12.0),
        ("Observation/bcr-good-2", 4.0),
    ]
    assert [e.drug for e in snapshot.tki_exposures] == ["dasatinib"]
    reasons = [(e.reference, e.reason.split(":")[0]) for e in snapshot.exclusions]
    # the safety checks first, in prefetch order; then each resource that did not fit its model
    assert reasons == [
        ("Observation/bcr-other", "subject is not the patient in context"),
        ("Observation/bcr-good-1", "duplicate resource id (first occurrence used)"),
        ("Bundle (no id)", "prefetch 'bcrAbl1'"),
        ("Bundle (no id)", "prefetch 'bcrAbl1'"),
        ("Bundle (no id)", "prefetch 'bcrAbl1'"),
        ("Specimen/sp-1", "unexpected resource type 'Specimen'"),
        ("Bundle (no id)", "prefetch 'procedures'"),
        ("Patient/another-patient", "Patient resource of another patient"),
        ("Patient/cml-1", "not a valid FHIR R4 Patient"),
        ("Observation/bcr-bad-value", "not a valid FHIR R4 Observation"),
        ("Observation/17", "not a valid FHIR R4 Observation"),
        ("Observation/bcr-string-value", "not a valid FHIR R4 Observation"),  # a number as text: not a number
        ("MedicationStatement/ms-bad-dosage", "not a valid FHIR R4 MedicationStatement"),
    ]
    assert "('valueQuantity', 'value')" in snapshot.exclusions[9].reason


def test_a_request_with_bad_resources_is_answered_with_them_reported(client: TestClient) -> None:
    response = client.post("/cds-services/cml-tki-resistance", json=_awkward_request())
    assert response.status_code == 200
    excluded = response.json()["extension"]["org.cmlcds.response"]["excluded"]
    assert len(excluded) == 13
    assert excluded[9]["reference"] == "Observation/bcr-bad-value"


def test_values_msgspec_refuses_are_judged_by_the_pydantic_rules() -> None:
    """An integer must be a JSON integer (not "2", not 1.0); a boolean field still reads "yes" as pydantic does."""
    statements = []
    for ident, frequency in (("ms-int", 2), ("ms-text", "2"), ("ms-float", 1.0)):
        statement = tki_statement("dasatinib", START, dose_mg=100, ident=ident)
        statement["dosage"][0]["timing"]["repeat"]["frequency"] = frequency
        statements.append(statement)
    transcript = bcr_abl1(date(2025, 4, 7), 12.0, ident="bcr-boolean-text", valueBoolean="yes")
    body = json.dumps(hook_request(medications=statements, transcripts=[transcript])).encode()
    from_bytes = decode_hook_request(body).prefetch or {}
    snapshot = build_snapshot(PATIENT, from_bytes, TODAY)
    assert snapshot == build_snapshot(PATIENT, json.loads(body)["prefetch"], TODAY)
    assert [(e.source, e.doses_per_day, e.daily_dose_mg) for e in snapshot.tki_exposures] == [
        ("MedicationStatement/ms-int", 2, 200.0)
    ]
    assert [t.source for t in snapshot.transcripts] == ["Observation/bcr-boolean-text"]
    assert [e.reference for e in snapshot.exclusions] == ["MedicationStatement/ms-text", "MedicationStatement/ms-float"]
    assert all("Input should be a valid integer" in e.reason for e in snapshot.exclusions)


def test_a_resource_under_two_keys_is_read_once_and_a_different_one_with_its_id_is_reported() -> None:
    """Duplicates are compared on the whole JSON, including fields the slim model does not keep."""
    same = bcr_abl1(date(2025, 4, 7), 12.0, ident="bcr-twice")
    first = bcr_abl1(date(2025, 7, 7), 4.0, ident="bcr-conflict")
    second = first | {"performer": [{"display": "lab B"}]}  # a field the slim Observation does not keep
    request = hook_request(transcripts=[same, first])
    request["prefetch"]["blasts"] = bundle(same, second)
    body = json.dumps(request).encode()
    snapshot = build_snapshot(PATIENT, decode_hook_request(body).prefetch or {}, TODAY)
    assert snapshot == build_snapshot(PATIENT, json.loads(body)["prefetch"], TODAY)
    assert [t.source for t in snapshot.transcripts] == ["Observation/bcr-twice", "Observation/bcr-conflict"]
    assert [(e.reference, e.reason) for e in snapshot.exclusions] == [
        ("Observation/bcr-conflict", "duplicate resource id (first occurrence used)")
    ]


def test_an_ordinary_bundle_is_decoded_in_one_pass_and_split_into_texts_only_when_asked() -> None:
    """One pass gives the resources the entry-by-entry decode gives; the JSON texts of the entries (for
    comparing duplicates) are split from the bytes on the first request, once."""
    import msgspec

    from fhir_mapping.decode import _decode_entry_by_entry, decode_value

    second = bcr_abl1(date(2025, 7, 7), 4.0, ident="bcr-2") | {"performer": [{"display": "lab B"}]}
    raw = msgspec.Raw(json.dumps(bundle(bcr_abl1(date(2025, 4, 7), 12.0, ident="bcr-1"), second)).encode())
    one_pass = decode_value(raw)
    entry_by_entry = _decode_entry_by_entry(raw)
    assert one_pass.resources == entry_by_entry.resources
    assert all(isinstance(r, Observation) for r in one_pass.resources)
    assert one_pass.raw == []  # nothing split yet
    assert json.loads(bytes(one_pass.text(1))) == second == json.loads(bytes(entry_by_entry.text(1)))
    split = one_pass.raw
    assert len(split) == 2
    one_pass.text(0)
    assert one_pass.raw is split and len(split) == 2  # split once, not again


def test_a_bundle_the_one_pass_refuses_is_decoded_entry_by_entry() -> None:
    import msgspec

    from fhir_mapping.decode import decode_value

    lax = bcr_abl1(date(2025, 4, 7), None, ident="bcr-lax", valueQuantity={"value": "2.5", "code": "%"})
    raw = msgspec.Raw(json.dumps(bundle(bcr_abl1(date(2025, 7, 7), 4.0, ident="bcr-ok"), lax)).encode())
    value = decode_value(raw)
    assert value.source is None
    assert isinstance(value.resources[0], Observation) and value.resources[1] == lax
    assert value.text(1) is None and value.text(0) is not None
