from __future__ import annotations

from fhir.resources.R4B.servicerequest import ServiceRequest

from fhir_mapping.outbound import KD_MUTATION_LOINC, kd_mutation_service_request


def test_the_proposed_order_is_valid_fhir_r4_for_the_patient() -> None:
    request = kd_mutation_service_request("cml-1", "ELN failure on imatinib")
    parsed = ServiceRequest.model_validate(request)
    assert parsed.subject.reference == "Patient/cml-1"
    assert parsed.code is not None and parsed.code.coding
    assert parsed.code.coding[0].code == KD_MUTATION_LOINC
    assert parsed.reasonCode
    assert parsed.reasonCode[0].text == "ELN failure on imatinib"
    assert (parsed.status, parsed.intent) == ("draft", "proposal")


def test_each_call_gets_its_own_copy() -> None:
    first = kd_mutation_service_request("a", "x")
    first["code"]["text"] = "changed"
    assert kd_mutation_service_request("b", "y")["code"]["text"] != "changed"
