"""FHIR resources the service proposes (card suggestions), built as R4 with fhir.resources.R4B."""

from __future__ import annotations

from typing import Any

import msgspec
from fhir.resources.R4B.servicerequest import ServiceRequest

__all__ = ["KD_MUTATION_LOINC", "kd_mutation_service_request"]

#: LOINC used by laboratories for BCR-ABL1 kinase-domain mutation analysis by NGS (clinical-reference §14).
KD_MUTATION_LOINC = "55135-8"

#: The order's fixed part, validated as FHIR R4 once at import (validation costs ~1 ms; a hook call must
#: not pay it). Only the subject reference and the reason text change per call.
_TEMPLATE: dict[str, Any] = ServiceRequest.model_validate(
    {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "category": [
            {"coding": [{"system": "http://snomed.info/sct", "code": "108252007", "display": "Laboratory procedure"}]}
        ],
        "code": {
            "coding": [{"system": "http://loinc.org", "code": KD_MUTATION_LOINC}],
            "text": "BCR::ABL1 kinase domain mutation analysis by next-generation sequencing",
        },
        "subject": {"reference": "Patient/template"},
        "note": [{"text": "Proposed by cml-cds: NGS preferred (Soverini & Castagnetti 2026)."}],
    }
).model_dump(mode="json", exclude_none=True)

_TEMPLATE_JSON = msgspec.json.encode(_TEMPLATE)


def kd_mutation_service_request(patient_id: str, reason: str) -> dict[str, Any]:
    """A draft order for BCR::ABL1 kinase-domain mutation analysis by NGS for `patient_id`."""
    request: dict[str, Any] = msgspec.json.decode(_TEMPLATE_JSON)  # a fresh deep copy, ~20× cheaper than deepcopy
    request["subject"] = {"reference": f"Patient/{patient_id}"}
    request["reasonCode"] = [{"text": reason}]
    return request
