"""The three CDS Hooks endpoints, thin: authenticate, parse, delegate to the service registry, serialise.

Authentication runs before the body is read: an unauthenticated caller cannot make the service parse
32 MiB. Discovery and feedback authenticate as a FastAPI dependency (`ClientDep`); the hook call route, the
one called at scale, resolves its Runtime and client itself (`runtime_of`, `authenticate_request`): FastAPI's
dependency solving cost ~0.18 ms per call there, a fifth of what the HTTP edge costs. Its OpenAPI
operation declares the same security requirement by hand. The FhirReader a service gets is wrapped in the caller's
fhirServer policy, so no code path can reach a fhirServer the caller's issuer does not list.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive

from .audit import AuditDraft
from .auth import (
    ClientDep,
    FhirServerPolicy,
    GuardedFhirReader,
    VerifiedClient,
    authenticate_request,
    bearer_scheme,
)
from .body import decode_hook_request
from .cards import with_smart_link
from .errors import BadRequest, ClientGone, NotFound
from .gc_pause import cyclic_gc_paused
from .logs import pseudonym
from .metrics import FEEDBACK, MeasuredFhirReader, child
from .models import (
    CdsResponse,
    DiscoveryResponse,
    FeedbackRequest,
    FeedbackResponse,
    HookRequest,
    OperationOutcome,
)
from .plugins import SMART_LAUNCH_PATH
from .public_url import public_base_url
from .request_limits import check_prefetch_size, read_json_body
from .runtime import Runtime, RuntimeDep, runtime_of
from .services import REGISTRY, CdsService
from .services.base import CallContext
from .services.budget import CallBudget
from .services.offload import INLINE_PARSE_BYTES, run_inline_if

__all__ = ["router"]

router = APIRouter()
logger = logging.getLogger("cml_cds")
T = TypeVar("T")
JSON = "application/json"


def _error(description: str) -> dict[str, Any]:
    return {"model": OperationOutcome, "description": description}


def _body(model: type[BaseModel]) -> dict[str, Any]:
    """Document a request body the route parses itself (from bytes, once)."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {JSON: {"schema": ref}}}}


_UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: _error("No valid CDS client JWT (when authentication is on); the body gives no reason")
}

_HYGIENE: dict[int | str, dict[str, Any]] = {
    408: _error("The request body was not received within the body-read timeout"),
    415: _error("Content-Type is not JSON (application/json or application/fhir+json)"),
}


def _service(service_id: str) -> CdsService:
    service = REGISTRY.get(service_id)
    if service is None:
        raise NotFound(f"no CDS service '{service_id}'")
    return service


async def _parse(
    model: type[HookRequest] | type[FeedbackRequest], body: bytes, max_draft_orders: int | None = None
) -> Any:
    """A large body is parsed in a worker thread: it must not hold the event loop for other callers."""
    return await run_inline_if(len(body) <= INLINE_PARSE_BYTES, _parse_now, model, body, max_draft_orders)


def _parse_now(
    model: type[HookRequest] | type[FeedbackRequest], body: bytes, max_draft_orders: int | None = None
) -> Any:
    try:
        with cyclic_gc_paused():
            if model is HookRequest:
                return decode_hook_request(body, max_draft_orders)
            return model.model_validate_json(body)
    except RecursionError as exc:
        raise BadRequest("malformed JSON: nested too deeply") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise BadRequest(f"malformed JSON: {first['msg']}") from exc
        where = ".".join(map(str, first["loc"])) or "body"
        kind = "CDS Hooks request" if model is HookRequest else "CDS Hooks feedback"
        raise BadRequest(f"not a valid {kind}: {where}: {first['msg']}") from exc


@router.get(
    "/cds-services",
    response_model=DiscoveryResponse,
    response_model_exclude_none=True,
    responses=_UNAUTHORIZED,
    tags=["discovery"],
)
async def discovery(_client: ClientDep) -> Response:
    """CDS Hooks discovery: the services this server hosts, sorted by id."""
    services = [REGISTRY[key].descriptor for key in sorted(REGISTRY)]
    body = DiscoveryResponse(services=services).model_dump_json(exclude_none=True)
    return Response(body, media_type=JSON)


@router.post(
    "/cds-services/{service_id}",
    response_model=CdsResponse,
    response_model_exclude_none=True,
    responses={
        400: _error(
            "Malformed JSON (also: nested too deeply), not a CDS Hooks request, a hookInstance that is not a UUID, a"
            " hook the service does not answer, a patientId that is not a FHIR id, or a fhirServer that is not an"
            " absolute http(s) base URL"
        ),
        **_UNAUTHORIZED,
        404: _error("Unknown CDS service"),
        412: _error(
            "Required FHIR data was neither prefetched nor readable from fhirServer, or fhirServer is not on the"
            " calling client's allow-list (the service does not contact it)"
        ),
        413: _error(
            "Request body over the configured size limit, a prefetch Bundle / the whole prefetch over its entry"
            " limit, context.draftOrders over max_draft_orders entries (counted while decoding), or an answer that"
            " would hold more than max_cards_per_response cards"
        ),
        **_HYGIENE,
        503: _error(
            "Busy: this worker's hook calls in progress and waiting are at their limit (load shed at once, with"
            " Retry-After); or the call's work ran past call_deadline_seconds and was stopped"
        ),
    },
    openapi_extra={**_body(HookRequest), "security": [{bearer_scheme.scheme_name: []}]},
    tags=["services"],
)
async def call_service(service_id: str, request: Request) -> Response:
    """Call a CDS service with a hook request; answers cards."""
    runtime = runtime_of(request)
    client = await authenticate_request(request, runtime)
    audit = _audit_draft(request, runtime, client)
    service = _service(service_id)
    settings = runtime.settings
    hook_request: HookRequest = await _parse(
        HookRequest, await read_json_body(request, settings), settings.max_draft_orders
    )
    check_prefetch_size(hook_request.prefetch, settings)
    audit.hook_instance = hook_request.hookInstance
    patient_id = hook_request.context.get("patientId")
    if isinstance(patient_id, str):
        audit.patient_pseudonym = pseudonym(patient_id, runtime.pseudonym_secret)
    policy = FhirServerPolicy(production=runtime.settings.mode == "production", client=client)
    context = CallContext(
        knowledge=runtime.knowledge,
        today=runtime.today,
        fhir_reader=(
            MeasuredFhirReader(GuardedFhirReader(runtime.fhir_reader, policy))
            if runtime.fhir_reader is not None
            else None
        ),
        service_version=runtime.version,
        budget=(budget := CallBudget(settings.call_deadline_seconds)),
        max_cards=settings.max_cards_per_response,
        watch=lambda work: _unless_client_leaves(request, budget, work),
    )
    response = await service.call(hook_request, context)
    if _smart_launchable(request, runtime, hook_request):
        response = with_smart_link(response, public_base_url(request, runtime.settings) + SMART_LAUNCH_PATH)
    audit.finding_codes = [_finding_code(card.extension) for card in response.cards]
    audit.cards = [(card.uuid or "", code) for card, code in zip(response.cards, audit.finding_codes, strict=True)]
    return Response(response.model_dump_json(exclude_none=True), media_type=JSON)


def _smart_launchable(request: Request, runtime: Runtime, hook_request: HookRequest) -> bool:
    """Link the SMART app only where a launch can work: a patient-view call, the app mounted, and a SMART
    client configured for the calling EHR's `fhirServer` (the launch refuses any other `iss` with a 400)."""
    return (
        hook_request.hook == "patient-view"
        and bool(getattr(request.app.state, "smart_launch", False))
        and hook_request.fhirServer is not None
        and runtime.settings.smart_client(hook_request.fhirServer) is not None
    )


async def _disconnected(receive: Receive) -> None:
    """Returns when the client has gone (the body is read by now: the next message is the disconnect)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _unless_client_leaves(request: Request, budget: CallBudget, work: Awaitable[T]) -> T:
    """`work` (a FHIR read, a worker thread: what a call waits for), stopped when the client disconnects (or
    the server cancels the call at shutdown): a FHIR read is cancelled, a worker thread stops at its next
    checkpoint (budget.py), so no core goes on computing an answer nobody will read. Answers 499
    (ClientGone), which only the audit sees. An inline call (≤ ~30 ms) is not watched: the watch costs two
    tasks, which on uvicorn measured ~6 ms a call."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_disconnected(request.receive))
    try:
        await asyncio.wait((task, watcher), return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        budget.cancel("the server is shutting down")
        task.cancel()
        raise
    finally:
        watcher.cancel()
    if task.done():
        return task.result()
    budget.cancel("the client disconnected")
    task.cancel()
    with contextlib.suppress(BaseException):
        await task  # a worker thread stops at its next checkpoint; then the call is over
    logger.info("client disconnected while its hook call was computed; the call was stopped")
    raise ClientGone("client disconnected before the answer")


def _audit_draft(request: Request, runtime: Runtime, client: VerifiedClient | None) -> AuditDraft:
    """The draft AuditMiddleware put in the request state (a fresh one if the route runs without it)."""
    draft = getattr(request.state, "audit", None)
    if not isinstance(draft, AuditDraft):
        draft = AuditDraft()
    draft.issuer = client.issuer.iss if client is not None else None
    draft.knowledge_version = runtime.knowledge.version
    return draft


def _finding_code(extension: dict[str, Any] | None) -> str:
    finding = (extension or {}).get("org.cmlcds.finding")
    code = finding.get("code") if isinstance(finding, dict) else None
    return code if isinstance(code, str) else "unknown"


@router.post(
    "/cds-services/{service_id}/feedback",
    response_model=FeedbackResponse,
    responses={
        400: _error(
            "Malformed JSON or not CDS Hooks feedback (also: too many items, an id or comment too long, control"
            " characters in stored text)"
        ),
        **_UNAUTHORIZED,
        404: _error("Unknown CDS service"),
        413: _error("Request body over the configured size limit"),
        **_HYGIENE,
        503: _error("Busy: this worker's feedback posts in progress and waiting are at their limit (Retry-After)"),
    },
    openapi_extra=_body(FeedbackRequest),
    tags=["feedback"],
)
async def feedback(service_id: str, request: Request, runtime: RuntimeDep, _client: ClientDep) -> Response:
    """CDS Hooks 2.0 feedback on cards; stored once however often it is sent."""
    _service(service_id)
    items: FeedbackRequest = await _parse(FeedbackRequest, await read_json_body(request, runtime.settings))
    for item in items.feedback:
        if item.outcome == "accepted" and not item.acceptedSuggestions:
            raise BadRequest("feedback: acceptedSuggestions is required for an 'accepted' outcome")
    stored, duplicates = await run_in_threadpool(runtime.feedback.add, service_id, list(items.feedback))
    for item in items.feedback:
        child(FEEDBACK, item.outcome, "received").inc()
    child(FEEDBACK, "all", "stored").inc(stored)
    child(FEEDBACK, "all", "duplicate").inc(duplicates)
    return Response(FeedbackResponse(stored=stored, duplicates=duplicates).model_dump_json(), media_type=JSON)
