"""The call path both ordering hooks share: context → drafts → prefetch → snapshot → findings → cards.

order-select speaks about the drafts in `context.selections`, order-sign about every draft; the rest of
the path is the same, so each service module only names its hook and which drafts it speaks about.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import msgspec
from pydantic import Field, JsonValue

from fhir_mapping.decode import resources_in
from fhir_mapping.draft_orders import DraftOrders, bundle_resources, map_draft_orders
from tki_resistance.ordering.findings import ordering_data_findings, ordering_findings
from tki_resistance.state import build_state

from ..cards import render_cards
from ..errors import BadRequest
from ..gc_pause import cyclic_gc_paused
from ..metrics import stage
from ..models import CdsResponse, FhirId, HookRequest, NonBlank, WireModel
from ..order_suggestions import with_order_suggestion
from .base import CallContext
from .offload import resource_count, run_sized
from .pipeline import Resolved, check_hook, resolve_prefetch, response_extension, snapshot_for, validated_context

#: A draft costs more than a patient's resource: each is checked against every other draft and medication
#: (interactions), so the cost grows with the square of the drafts (500 drafts: ~0.5–1.5 s). Weighted so, an
#: order set of tens of drafts runs inline and one of ~50 or more goes to a worker thread, where the call's
#: deadline and its client's disconnect can stop it between drafts while the event loop serves others.
DRAFT_WEIGHT = 40

__all__ = ["DRAFT_WEIGHT", "DraftOrdersBundle", "OrderSelectContext", "OrderSignContext", "call_ordering_hook"]


class DraftOrdersBundle(WireModel):
    """`context.draftOrders`: a FHIR Bundle of request resources (entries are read by the mapping)."""

    resourceType: Literal["Bundle"]
    entry: list[dict[str, JsonValue]] = Field(default_factory=list)


class OrderSignContext(WireModel):
    userId: NonBlank
    patientId: FhirId
    encounterId: FhirId | None = None
    draftOrders: DraftOrdersBundle


class OrderSelectContext(OrderSignContext):
    selections: list[NonBlank] = Field(min_length=1)


def _selected(bundle: dict[str, Any], selections: list[str]) -> set[str]:
    """The `MedicationRequest/<id>` references selected; 400 when a selection is not in draftOrders."""
    present = {f"{r.get('resourceType')}/{r.get('id')}" for r in bundle_resources(bundle)}
    for index, selection in enumerate(selections):
        if selection not in present:
            raise BadRequest(f"context.selections.{index}: '{selection}' is not a resource in context.draftOrders")
    return {s for s in selections if s.startswith("MedicationRequest/")}


def _spoken_exclusions(drafts: DraftOrders, spoken: set[str] | None) -> DraftOrders:
    if spoken is None:
        return drafts
    kept = tuple(e for e in drafts.exclusions if e.reference in spoken)
    return dataclasses.replace(drafts, exclusions=kept)


def _answer(
    request: HookRequest,
    context: OrderSignContext,
    bundle: dict[str, Any],
    spoken_refs: set[str] | None,
    resolved: Resolved,
    call: CallContext,
) -> CdsResponse:
    """The synchronous part of a call (mapping, algorithm, cards): inline, or in a worker thread (offload.py)."""
    if call.budget is not None:
        call.budget.begin()
    with cyclic_gc_paused():
        with stage("mapping_algorithm"):
            snapshot = snapshot_for(context.patientId, resolved, call)
            call.checkpoint("mapping the patient")
            drafts = _spoken_exclusions(map_draft_orders(bundle, context.patientId), spoken_refs)
            spoken = drafts.orders if spoken_refs is None else drafts.named(spoken_refs)
            call.checkpoint("mapping the draft orders")
            state = build_state(snapshot, call.knowledge)
            findings = ordering_findings(state, spoken, drafts.orders, call.knowledge, call.checkpoint)
            findings += ordering_data_findings(snapshot, drafts.exclusions)
        call.check_cards(len(findings))
        with stage("rendering"):
            call.checkpoint("rendering")
            cards = render_cards(findings, context.patientId, request.hookInstance)
            suggested = []
            for card, finding in zip(cards, findings, strict=True):
                call.checkpoint("rendering")
                suggested.append(with_order_suggestion(card, finding, drafts.resources, context.patientId))
            cards = suggested
        reported = msgspec.structs.replace(snapshot, exclusions=drafts.exclusions + snapshot.exclusions)
        return CdsResponse(cards=cards, extension=response_extension(call, reported))


async def call_ordering_hook(
    request: HookRequest, call: CallContext, *, service_id: str, hook: str, selections: bool
) -> CdsResponse:
    check_hook(request, service_id, hook)
    context: OrderSignContext = validated_context(OrderSelectContext if selections else OrderSignContext, request)
    bundle = request.context["draftOrders"]
    if not isinstance(bundle, dict):  # pragma: no cover - validated as a Bundle object above
        raise BadRequest("context.draftOrders: not a Bundle")
    spoken_refs = _selected(bundle, context.selections) if isinstance(context, OrderSelectContext) else None
    resolved = await resolve_prefetch(request, call)
    # a large patient off the event loop, as patient-view: mapping it must not make other callers wait
    size = resource_count(resolved.prefetch) + DRAFT_WEIGHT * resources_in(bundle)
    return await run_sized(size, _answer, request, context, bundle, spoken_refs, resolved, call, guard=call.guarded)
