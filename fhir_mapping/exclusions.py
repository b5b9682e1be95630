"""Records the mapping refused to use, and why. Every exclusion reaches the clinician."""

from __future__ import annotations

from typing import Any

from tki_resistance.model import Exclusion

__all__ = ["ExclusionLog", "describe"]


def describe(resource: dict[str, Any] | Any) -> str:
    """`Type/id` for a resource (dict or slim model), for the card; never any clinical value."""
    if isinstance(resource, dict):
        kind, ident = resource.get("resourceType", "Resource"), resource.get("id")
    else:
        kind, ident = getattr(resource, "resourceType", "Resource"), getattr(resource, "id", None)
    return f"{kind}/{ident}" if ident else f"{kind} (no id)"


class ExclusionLog:
    """Collects exclusions while one request is mapped."""

    def __init__(self) -> None:
        self._items: list[Exclusion] = []

    def exclude(self, resource: dict[str, Any] | Any, reason: str) -> None:
        self._items.append(Exclusion(reference=describe(resource), reason=reason))

    @property
    def items(self) -> tuple[Exclusion, ...]:
        return tuple(self._items)
