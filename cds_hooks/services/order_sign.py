"""`cml-tki-order-sign` on `order-sign`: every draft about to be signed, against the patient's record."""

from __future__ import annotations

from ..models import CdsResponse, HookRequest, ServiceDescriptor
from .base import CallContext, CdsService
from .ordering import call_ordering_hook
from .pipeline import PREFETCH_KEYS

__all__ = ["CML_TKI_ORDER_SIGN"]

HOOK = "order-sign"

DESCRIPTOR = ServiceDescriptor(
    hook=HOOK,
    id="cml-tki-order-sign",
    title="CML: TKI order check (sign)",
    description=(
        "Before TKI orders (or drugs that interact with a TKI) are signed for a patient with chronic myeloid "
        "leukaemia: flags a TKI the kinase-domain mutations exclude, one that failed before, a dose that does "
        "not fit, interactions and comorbidity cautions, and offers to remove or correct the draft."
    ),
    prefetch={key.key: key.template for key in PREFETCH_KEYS},
    usageRequirements=(
        "context.draftOrders with MedicationRequests; the same prefetch (or fhirServer with fhirAuthorization) "
        "as cml-tki-resistance. Cards concern every draft in context.draftOrders."
    ),
)


async def call(request: HookRequest, call_context: CallContext) -> CdsResponse:
    return await call_ordering_hook(request, call_context, service_id=DESCRIPTOR.id, hook=HOOK, selections=False)


CML_TKI_ORDER_SIGN = CdsService(descriptor=DESCRIPTOR, prefetch_keys=PREFETCH_KEYS, call=call)
