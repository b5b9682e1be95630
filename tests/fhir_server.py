"""The real FHIR server (sekmet-fhir) for the integration tests: the code lives in `demo/fhir_server.py`."""

from demo.fhir_server import (
    SEKMET_REQUIREMENT,
    FhirServer,
    FhirServerError,
    ensure_sekmet_installed,
    running_fhir_server,
)

__all__ = [
    "SEKMET_REQUIREMENT",
    "FhirServer",
    "FhirServerError",
    "ensure_sekmet_installed",
    "running_fhir_server",
]
