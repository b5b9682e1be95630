"""The hosted services in the OpenAPI document: one generic call route, so each service, its hook and the
schema of its hook's `context` are named on it (and the context models are in the components)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .models import PatientViewContext
from .services import REGISTRY
from .services.ordering import OrderSelectContext, OrderSignContext

__all__ = ["document_services"]

_CONTEXTS: dict[str, type[BaseModel]] = {
    "patient-view": PatientViewContext,
    "order-select": OrderSelectContext,
    "order-sign": OrderSignContext,
}
_CALL = "/cds-services/{service_id}"


def document_services(document: dict[str, Any]) -> None:
    """Name every service on the call route; add the hook context schemas to the components."""
    _, schemas = models_json_schema(
        [(model, "validation") for model in _CONTEXTS.values()], ref_template="#/components/schemas/{model}"
    )
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in schemas.get("$defs", {}).items():
        components.setdefault(name, schema)
    operation = document.get("paths", {}).get(_CALL, {}).get("post")
    if operation is None:
        return
    lines = [
        f"- `{service_id}`: hook `{service.descriptor.hook}`, context "
        f"`#/components/schemas/{_CONTEXTS[service.descriptor.hook].__name__}`"
        for service_id, service in sorted(REGISTRY.items())
    ]
    operation["description"] = operation.get("description", "") + "\n\nServices:\n\n" + "\n".join(lines)
    for parameter in operation.get("parameters", []):
        if parameter.get("name") == "service_id":
            parameter["schema"]["examples"] = sorted(REGISTRY)
