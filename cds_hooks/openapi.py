"""The OpenAPI document of the service as served; `openapi/cml-cds.openapi.json` is its committed copy."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema

from .models import FeedbackRequest, HookRequest
from .openapi_services import document_services

__all__ = ["build_openapi", "install_openapi", "render_openapi"]

_DESCRIPTION = """\
CDS Hooks 2.0 (https://cds-hooks.hl7.org/2.0/) service for tyrosine kinase inhibitor (TKI) response and
resistance in chronic myeloid leukaemia. Every card carries `extension["org.cmlcds.finding"]` with the
finding code, the guideline, and (by code) the TKIs to avoid, the mutations and the ELN response; cards of
the ordering hooks (order-select, order-sign) also name their draft order (`order`).
Every error body is a FHIR R4 OperationOutcome.
"""


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the request bodies the routes parse themselves."""
    document = get_openapi(
        title=app.title,
        version="2.0",
        openapi_version="3.1.0",
        summary=app.summary,
        description=_DESCRIPTION,
        routes=app.routes,
        tags=[
            {"name": "discovery", "description": "CDS Hooks discovery"},
            {"name": "services", "description": "CDS service calls"},
            {"name": "feedback", "description": "CDS Hooks 2.0 feedback"},
            {"name": "smart", "description": "SMART on FHIR app: launch, redirect URI, course page and its JSON"},
            {"name": "operations", "description": "Liveness, readiness and Prometheus metrics (no JWT)"},
        ],
    )
    _, schemas = models_json_schema(
        [(HookRequest, "validation"), (FeedbackRequest, "validation")],
        ref_template="#/components/schemas/{model}",
    )
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in schemas.get("$defs", {}).items():
        components.setdefault(name, schema)
    for path in document["paths"].values():
        for operation in path.values():
            operation.get("responses", {}).pop("422", None)
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    document_services(document)
    return document


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def render_openapi(app: FastAPI) -> str:
    return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"
