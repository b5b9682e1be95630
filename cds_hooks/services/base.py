"""What a CDS service is to the HTTP edge: a descriptor, its prefetch keys, and a call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from fhir_mapping.fhir_client import FhirReader
from tki_resistance.knowledge.loader import Knowledge

from ..errors import PayloadTooLarge
from ..models import CdsResponse, HookRequest, ServiceDescriptor
from ..prefetch import PrefetchKey
from .budget import CallBudget

__all__ = ["CallContext", "CdsService"]

T = TypeVar("T")


@dataclass(frozen=True)
class CallContext:
    """What a service call may use besides the request."""

    knowledge: Knowledge
    today: Callable[[], date]
    fhir_reader: FhirReader | None = None
    service_version: str = "0"
    #: the call's deadline and stop flag (None: unbounded, e.g. in-process benchmarks and the SMART app)
    budget: CallBudget | None = None
    #: cards one answer may hold; more is 413 before any is rendered
    max_cards: int | None = None
    #: awaits its argument unless the call's client leaves first (then stops the call: routes.py)
    watch: Callable[[Awaitable[Any]], Awaitable[Any]] | None = None

    async def guarded(self, work: Awaitable[T]) -> T:
        """`work` (a FHIR read, a worker thread), stopped when the client disconnects meanwhile."""
        if self.watch is None:
            return await work
        result: T = await self.watch(work)
        return result

    def checkpoint(self, where: str) -> None:
        """Stop here if the call ran out of time or its client left (budget.py)."""
        if self.budget is not None:
            self.budget.check(where)

    def check_cards(self, count: int) -> None:
        if self.max_cards is not None and count > self.max_cards:
            raise PayloadTooLarge(
                f"the call would answer {count} cards, over the limit of {self.max_cards} per response; send fewer"
                " draft orders per call"
            )


@dataclass(frozen=True)
class CdsService:
    descriptor: ServiceDescriptor
    prefetch_keys: tuple[PrefetchKey, ...]
    call: Callable[[HookRequest, CallContext], Awaitable[CdsResponse]]
