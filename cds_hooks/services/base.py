"""What a CDS service is to the HTTP edge: a descriptor, its prefetch keys, and a call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from fhir_mapping.fhir_client import FhirReader
from tki_resistance.knowledge.loader import Knowledge

from ..models import CdsResponse, HookRequest, ServiceDescriptor
from ..prefetch import PrefetchKey

__all__ = ["CallContext", "CdsService"]


@dataclass(frozen=True)
class CallContext:
    """What a service call may use besides the request."""

    knowledge: Knowledge
    today: Callable[[], date]
    fhir_reader: FhirReader | None = None
    service_version: str = "0"


@dataclass(frozen=True)
class CdsService:
    descriptor: ServiceDescriptor
    prefetch_keys: tuple[PrefetchKey, ...]
    call: Callable[[HookRequest, CallContext], Awaitable[CdsResponse]]
