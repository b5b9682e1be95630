"""FHIR resources the service proposes (card suggestions), built as R4 with fhir.resources.R4B."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.servicerequest import ServiceRequest

__all__ = ["KD_MUTATION_LOINC", "kd_mutation_service_request"]

#: LOINC used by laboratories for BCR-ABL1 kinase-domain mutation analysis by NGS (clinical-reference §14).
KD_MUTATION_LOINC = "55135-8"


def kd_mutation_service_request(patient_id: str, reason: str) -> dict[str, Any]:
    """A draft order for BCR::ABL1 kinase-domain mutation analysis by NGS, validated as FHIR R4."""
    request = ServiceRequest.model_validate(
        {
            "resourceType": "ServiceRequest",
            "status": "draft",
            "intent": "proposal",
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://snomed.info/sct",
                            "code": "108252007",
                            "display": "Laboratory procedure",
                        }
                    ]
                }
            ],
            "code": {
                "coding": [{"system": "http://loinc.org", "code": KD_MUTATION_LOINC}],
                "text": "BCR::ABL1 kinase domain mutation analysis by next-generation sequencing",
            },
            "subject": {"reference": f"Patient/{patient_id}"},
            "reasonCode": [{"text": reason}],
            "note": [{"text": "Proposed by cml-cds: NGS preferred (Soverini & Castagnetti 2026)."}],
        }
    )
    result: dict[str, Any] = request.model_dump(mode="json", exclude_none=True)
    return result
