"""`cml-tki-resistance` on `patient-view`: request → mapping → model → algorithm → findings → cards."""

from __future__ import annotations

from tki_resistance import assess

from ..cards import render_cards
from ..gc_pause import cyclic_gc_paused
from ..metrics import stage
from ..models import CdsResponse, HookRequest, PatientViewContext, ServiceDescriptor
from .base import CallContext, CdsService
from .offload import resource_count, run_sized
from .pipeline import (
    PREFETCH_KEYS,
    Resolved,
    check_hook,
    resolve_prefetch,
    response_extension,
    snapshot_for,
    validated_context,
)

__all__ = ["CML_TKI_RESISTANCE", "PREFETCH_KEYS"]

HOOK = "patient-view"

DESCRIPTOR = ServiceDescriptor(
    hook=HOOK,
    id="cml-tki-resistance",
    title="CML: TKI response and resistance",
    description=(
        "Assesses the response of chronic myeloid leukaemia to the current tyrosine kinase inhibitor by the "
        "ELN 2020 milestones, and flags mutation testing, TKIs to avoid, extrinsic causes and transplant "
        "referral (Soverini & Castagnetti, Blood 2026)."
    ),
    prefetch={key.key: key.template for key in PREFETCH_KEYS},
    usageRequirements=(
        "BCR::ABL1 results on the International Scale (LOINC 69380-4, %), kinase-domain variants (Genomics "
        "Reporting IG) and MedicationStatements, by prefetch or by fhirServer with fhirAuthorization."
    ),
)


def _answer(
    request: HookRequest, context: PatientViewContext, resolved: Resolved, call_context: CallContext
) -> CdsResponse:
    """The synchronous part of a call (mapping, algorithm, cards): inline, or in a worker thread (offload.py)."""
    if call_context.budget is not None:
        call_context.budget.begin()
    with cyclic_gc_paused():
        with stage("mapping_algorithm"):
            snapshot = snapshot_for(context.patientId, resolved, call_context)
            call_context.checkpoint("mapping the patient")
            findings = assess(snapshot, call_context.knowledge)
        call_context.check_cards(len(findings))
        call_context.checkpoint("rendering")
        with stage("rendering"):
            cards = render_cards(findings, context.patientId, request.hookInstance)
        return CdsResponse(cards=cards, extension=response_extension(call_context, snapshot))


async def call(request: HookRequest, call_context: CallContext) -> CdsResponse:
    check_hook(request, DESCRIPTOR.id, HOOK)
    context = validated_context(PatientViewContext, request)
    resolved = await resolve_prefetch(request, call_context)
    # a large patient off the event loop: mapping it must not make other callers wait
    size = resource_count(resolved.prefetch)
    return await run_sized(size, _answer, request, context, resolved, call_context, guard=call_context.guarded)


CML_TKI_RESISTANCE = CdsService(descriptor=DESCRIPTOR, prefetch_keys=PREFETCH_KEYS, call=call)
