"""`/smart/*`: the SMART launch URL, the redirect URI, the page and its JSON.

The launch refuses an `iss` that is not in `smart_clients` before any request leaves the service (no
open redirect, no reads from unknown servers). Tokens stay in the server-side session, in the shared
database and encrypted (`sessions.py`), so the launch, the redirect back and the page may each reach a
different worker or replica; the browser holds only an HttpOnly cookie naming it. Nothing here logs a
token, a code or a patient id.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from cds_hooks.gc_pause import cyclic_gc_paused
from cds_hooks.public_url import public_base_url
from cds_hooks.runtime import Runtime, RuntimeDep
from cds_hooks.services.base import CallContext
from cds_hooks.services.pipeline import Resolved, snapshot_for
from tki_resistance.consolidation import consolidate
from tki_resistance.pipeline import assess_state
from tki_resistance.state import build_state

from .course import build_course, patient_name
from .launch import LaunchError, SmartConfigurations, authorization_url, exchange_code
from .page import content_security_policy, course_page, error_page
from .reading import ReadProblem, read_patient
from .sessions import COOKIE, SmartSessions
from .view import Course

__all__ = ["router"]

logger = logging.getLogger("cml_cds.smart")
router = APIRouter(prefix="/smart", tags=["smart"])
_HTML = "text/html"
_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


def _sessions(request: Request, runtime: Runtime) -> SmartSessions:
    sessions = getattr(request.app.state, "smart_sessions", None)
    if not isinstance(sessions, SmartSessions):
        if runtime.sessions is None:  # pragma: no cover - create_app always installs the store
            raise RuntimeError("no SMART session store")
        sessions = SmartSessions(runtime.sessions)
        request.app.state.smart_sessions = sessions
    return sessions


def _configurations(request: Request, runtime: Runtime) -> SmartConfigurations:
    """The per-process cache of the EHRs' SMART configurations (`smart_configuration_cache_seconds`)."""
    cache = getattr(request.app.state, "smart_configurations", None)
    if not isinstance(cache, SmartConfigurations):
        cache = SmartConfigurations(runtime.settings.smart_configuration_cache_seconds)
        request.app.state.smart_configurations = cache
    return cache


def _html(status: int, title: str, message: str, what_to_do: str) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    headers = {**_NO_STORE, "Content-Security-Policy": content_security_policy(nonce)}
    return HTMLResponse(error_page(title, message, what_to_do, nonce), status_code=status, headers=headers)


def _set_cookie(response: Response, request: Request, runtime: Runtime, session_id: str, max_age: float) -> None:
    """HttpOnly, path /smart; Secure (and SameSite=None, so an EHR frame keeps it) over https only."""
    secure = public_base_url(request, runtime.settings).startswith("https://")
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=int(max_age),
        path="/smart",
        httponly=True,
        secure=secure,
        samesite="none" if secure else "lax",
    )


_HTML_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Launch refused (unconfigured iss, bad state, refused authorization); an HTML page"},
}


@router.get(
    "/launch",
    response_class=RedirectResponse,
    status_code=302,
    responses={
        302: {"description": "To the EHR's authorization endpoint (PKCE S256, state, aud = iss)"},
        **_HTML_RESPONSES,
        502: {"description": "The EHR's SMART configuration could not be read; an HTML page"},
    },
)
async def launch(
    request: Request,
    runtime: RuntimeDep,
    iss: Annotated[str | None, Query(description="the EHR's FHIR base URL; must be in smart_clients")] = None,
    launch: Annotated[str | None, Query(description="EHR launch context; absent for a standalone launch")] = None,
) -> Response:
    """SMART App Launch 2.0 launch URL: EHR launch (`iss` + `launch`) or standalone launch (`iss`)."""
    client = runtime.settings.smart_client(iss) if iss else None
    if client is None:
        logger.info("SMART launch refused: %s", "no iss" if not iss else "iss not in smart_clients")
        return _html(
            400,
            "Launch refused",
            "This app can only be launched by an EHR it is configured for; this launch names "
            + ("no FHIR server (iss)." if not iss else "a FHIR server that is not configured."),
            "Ask the administrator to add the EHR to smart_clients, or launch the app from the EHR.",
        )
    timeout = runtime.settings.fhir_timeout_seconds
    try:
        endpoints = await _configurations(request, runtime).endpoints(client.iss, timeout)
    except LaunchError as exc:
        return _html(502, "The EHR could not be reached", str(exc), "Try again; if it persists, tell IT support.")
    url, pending = authorization_url(
        iss=client.iss,
        client_id=client.client_id,
        redirect_uri=public_base_url(request, runtime.settings) + "/smart/callback",
        endpoints=endpoints,
        launch=launch,
        timeout=timeout,
    )
    address = request.client.host if request.client else "unknown"
    session_id = await _sessions(request, runtime).launch(pending, address)
    response = RedirectResponse(url, status_code=302, headers=_NO_STORE)
    _set_cookie(response, request, runtime, session_id, runtime.settings.smart_pending_ttl_seconds)
    return response


@router.get(
    "/callback",
    response_class=RedirectResponse,
    status_code=302,
    responses={302: {"description": "To /smart/app once the token is obtained"}, **_HTML_RESPONSES},
)
async def callback(
    request: Request,
    runtime: RuntimeDep,
    state: Annotated[str | None, Query(description="must equal the state of this browser's launch")] = None,
    code: Annotated[str | None, Query(description="the authorization code")] = None,
    error: Annotated[str | None, Query(description="an OAuth error from the authorization server")] = None,
) -> Response:
    """The redirect URI: checks `state`, exchanges the code (with the PKCE verifier) for the token."""
    sessions = _sessions(request, runtime)
    session_id = request.cookies.get(COOKIE)
    pending = await sessions.pending(session_id)
    again = "Launch the app again from the EHR."
    if pending is None or not state or not secrets.compare_digest(state.encode(), pending.state.encode()):
        return _html(400, "Launch not recognised", "This sign-in does not match a launch from this browser.", again)
    if error or not code:
        await sessions.drop(session_id)
        answer = f"The EHR's authorization server answered: {error or 'no code'}."
        return _html(400, "Access not granted", answer, again)
    # Used once: of two callbacks for one launch (a reload, a second tab, two replicas) only one goes on.
    # A new id once signed in: a session id seen before the login is worth nothing after.
    if not await sessions.use_pending(session_id):
        return _html(400, "Launch already used", "This sign-in has been used already.", again)
    try:
        authorised = await exchange_code(pending, str(request.url), runtime.settings.fhir_timeout_seconds)
    except LaunchError as exc:
        return _html(400, "Launch failed", str(exc), again)
    signed_in = await sessions.sign_in(authorised)
    app_url = public_base_url(request, runtime.settings) + "/smart/app"
    response = RedirectResponse(app_url, status_code=302, headers=_NO_STORE)
    _set_cookie(response, request, runtime, signed_in, runtime.settings.smart_session_ttl_seconds)
    return response


class _NoSession(Exception):
    pass


async def _course(request: Request, runtime: Runtime) -> tuple[Course, str]:
    """The course of the session's patient, read now with the session's token (raises on no session)."""
    session = await _sessions(request, runtime).session(request.cookies.get(COOKIE))
    if session is None or session.expires_at < time.time():
        raise _NoSession
    if runtime.fhir_reader is None:  # pragma: no cover - create_app always installs a reader
        raise ReadProblem("unreachable", "no FHIR reader configured")
    resolved = await read_patient(runtime.fhir_reader, session.iss, session.access_token, session.patient)
    call = CallContext(knowledge=runtime.knowledge, today=runtime.today)
    course = await to_thread.run_sync(_assessed_course, session.patient, resolved, call)
    return course, runtime.knowledge.version


def _assessed_course(patient: str, resolved: Resolved, call: CallContext) -> Course:
    """Mapping and the algorithm as a hook call runs them (synchronous: off the event loop, GC paused)."""
    with cyclic_gc_paused():
        snapshot = snapshot_for(patient, resolved, call)
        state = build_state(snapshot, call.knowledge)
        name = patient_name(resolved.prefetch.get("patient"), snapshot.as_of)
        return build_course(state, consolidate(assess_state(state, call.knowledge)), call.knowledge, name=name)


_PROBLEM_TEXT = {
    "no-access": (
        403,
        "No access to this patient's records",
        "The EHR's FHIR server refused the app's access token",
        "Relaunch the app; if it persists, ask for the app's access to laboratory and medication records.",
    ),
    "unreachable": (
        502,
        "The EHR's FHIR server is unreachable",
        "The records could not be read",
        "Try again in a moment; if it persists, tell IT support.",
    ),
}


@router.get(
    "/app",
    response_class=HTMLResponse,
    responses={
        200: {"content": {_HTML: {}}, "description": "The patient's BCR::ABL1 course: chart, findings, tables"},
        401: {"description": "No launch in this browser (or it expired); an HTML page"},
        403: {"description": "The token gives no access to the records; an HTML page"},
        502: {"description": "The EHR's FHIR server is unreachable; an HTML page"},
    },
)
async def app_page(request: Request, runtime: RuntimeDep) -> Response:
    """The app page for the patient in context."""
    try:
        course, version = await _course(request, runtime)
    except _NoSession:
        return _html(401, "Not launched", "This page needs a launch from the EHR.", "Open the app from the EHR.")
    except ReadProblem as problem:
        status, title, lead, todo = _PROBLEM_TEXT[problem.kind]
        return _html(status, title, f"{lead} ({problem.detail}).", todo)
    nonce = secrets.token_urlsafe(16)
    headers = {**_NO_STORE, "Content-Security-Policy": content_security_policy(nonce)}
    return HTMLResponse(course_page(course, nonce, version), headers=headers)


@router.get(
    "/api/course",
    response_model=Course,
    responses={
        401: {"description": "No launch in this browser (or it expired)"},
        403: {"description": "The token gives no access to the records"},
        502: {"description": "The EHR's FHIR server is unreachable"},
    },
)
async def course_json(request: Request, runtime: RuntimeDep) -> Response:
    """The data behind the page, as JSON (the same course the page draws)."""
    try:
        course, _ = await _course(request, runtime)
    except _NoSession:
        return JSONResponse({"error": "not launched"}, status_code=401, headers=_NO_STORE)
    except ReadProblem as problem:
        status = _PROBLEM_TEXT[problem.kind][0]
        return JSONResponse({"error": problem.kind, "detail": problem.detail}, status_code=status, headers=_NO_STORE)
    return Response(course.model_dump_json(by_alias=True), media_type="application/json", headers=_NO_STORE)
