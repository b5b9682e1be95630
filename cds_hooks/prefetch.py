"""Prefetch resolution: which keys the client satisfied, which must be read, and when to answer 412.

CDS Hooks 2.0: "It is the CDS Service's responsibility to check prefetched data against its template to
determine what requests were satisfied (if any) and to programmatically retrieve any additional
necessary data. If the CDS Service is unable to obtain required data … the service SHALL respond with an
HTTP 412 Precondition Failed status code."

A key counts as unsatisfied when it is missing, `null`, or an OperationOutcome (the client's way of
saying its own prefetch failed); it is then read from `fhirServer` when the request carries one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

__all__ = ["PrefetchKey", "fill_template", "unsatisfied_keys"]


@dataclass(frozen=True)
class PrefetchKey:
    """A prefetch template with whether the service can work without it."""

    key: str
    template: str
    required: bool
    description: str


def fill_template(template: str, context: Mapping[str, Any]) -> str:
    """Replace `{{context.x}}` tokens with the root-level primitive context values, percent-encoded.

    Quoted with no safe characters, so a value can never add a path segment, a query or a fragment (ids are
    also checked against the FHIR id grammar before any template is filled).
    """
    result = template
    for name, value in context.items():
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            result = result.replace("{{context." + name + "}}", quote(str(value), safe=""))
    return result


def _satisfied(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get("resourceType") not in (None, "OperationOutcome")
    return isinstance(getattr(value, "resourceType", None), str)  # a decoded slim model (never an outcome)


def unsatisfied_keys(keys: tuple[PrefetchKey, ...], prefetch: Mapping[str, Any] | None) -> list[PrefetchKey]:
    """The templates whose data did not arrive usable in the prefetch."""
    given = prefetch or {}
    return [k for k in keys if not _satisfied(given.get(k.key))]
