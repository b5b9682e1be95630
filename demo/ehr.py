"""The demo's EHR: the FHIR base URL clients see, in front of sekmet-fhir, with the SMART endpoints beside it.

One Starlette app on one loopback port plays the parts of an EHR that sekmet-fhir does not:

* `/fhir/*` (GET, HEAD) is forwarded to sekmet, read-only. A request without `Authorization` is sent on
  with sekmet's own token — the CDS Hooks Sandbox reads its FHIR server openly (it refuses a server whose
  metadata answers 401: "Please use an open (unsecured) FHIR endpoint"); a request with a token is sent on
  as it is, so sekmet checks it. sekmet announces this front's URL in `fullUrl` and paging links
  (`announced_url`), so a client that follows `next` stays here.
* `/fhir/.well-known/smart-configuration` names the authorization server below (code flow, PKCE S256).
* `/auth/authorize`, `/auth/token`: the Authlib authorization server of `demo/smart_auth.py`.
* `POST /fhir/_services/smart/Launch`: the HSPC-style launch-context endpoint the CDS Hooks Sandbox calls
  before it opens a card's SMART link (cds-hooks/sandbox, src/retrieve-data-helpers/launch-context-retrieval.js):
  body `{"launchUrl": …, "parameters": {"patient": …, "smart_messaging_origin": …, "appContext"?: …}}`,
  `Authorization` only when the Sandbox itself holds a token; answer `{"launch_id": …}`, which the Sandbox
  appends to the link as `launch=…&iss={fhir base}`.

CORS: the browser origins given (the public Sandbox), for the reads and the Launch call's preflight, which
also answers Chrome's Private Network Access question (a public page calling 127.0.0.1).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .smart_auth import SmartAuthServer

__all__ = ["LAUNCH_PATH", "DemoEhr"]

LAUNCH_PATH = "/_services/smart/Launch"
#: Response headers worth passing on from sekmet (not hop-by-hop, not its own CORS headers: this app sets those).
_PASSED_ON = ("content-type", "location", "etag", "last-modified", "content-location")
_FHIR_JSON = "application/fhir+json"


def _outcome(status: int, code: str, text: str) -> JSONResponse:
    body = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code, "diagnostics": text}]}
    return JSONResponse(body, status_code=status, media_type=_FHIR_JSON)


class DemoEhr:
    """The EHR front: `public_url` is this app's own origin (e.g. http://127.0.0.1:8081)."""

    def __init__(
        self,
        *,
        public_url: str,
        upstream: str,
        token: str,
        auth: SmartAuthServer,
        patients: set[str],
        cors_origins: list[str],
    ) -> None:
        self.public_url = public_url.rstrip("/")
        self.fhir_base = f"{self.public_url}/fhir"
        self.upstream = upstream.rstrip("/")
        self.token = token
        self.auth = auth
        self.patients = patients
        self.cors_origins = cors_origins
        self.sandbox_launches: list[dict[str, Any]] = []  # what the Launch endpoint received, for the tests
        self._client: httpx.AsyncClient | None = None

    def smart_configuration(self, request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "authorization_endpoint": f"{self.public_url}/auth/authorize",
                "token_endpoint": f"{self.public_url}/auth/token",
                "grant_types_supported": ["authorization_code"],
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["none"],
                "scopes_supported": ["launch", "launch/patient", "patient/*.rs"],
                "capabilities": [
                    "launch-ehr",
                    "launch-standalone",
                    "client-public",
                    "context-ehr-patient",
                    "context-standalone-patient",
                    "permission-patient",
                    "permission-v2",
                ],
            }
        )

    async def sandbox_launch(self, request: Request) -> Response:
        """The Sandbox's launch-context call: remember the patient, give the launch id."""
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        parameters = body.get("parameters") if isinstance(body, dict) else None
        patient = parameters.get("patient") if isinstance(parameters, dict) else None
        if not isinstance(patient, str) or not patient:
            return JSONResponse({"error": "parameters.patient is required"}, status_code=400)
        if patient not in self.patients:
            return JSONResponse({"error": f"no patient {patient!r} on this demo FHIR server"}, status_code=404)
        self.sandbox_launches.append(body)
        return JSONResponse({"launch_id": self.auth.new_launch(patient)})

    async def forward(self, request: Request) -> Response:
        """GET/HEAD under /fhir, passed on to sekmet (with its token when the request brings none)."""
        if request.method not in ("GET", "HEAD"):
            return _outcome(405, "not-supported", "the demo's FHIR server is read-only")
        if self._client is None:  # pragma: no cover - the lifespan opens it
            raise RuntimeError("the EHR front is not started")
        path = request.path_params["path"]
        if any(segment in (".", "..") for segment in path.split("/")):
            return _outcome(400, "invalid", "no relative path segments")
        url = f"{self.upstream}/{path}"
        if request.url.query:
            url += f"?{request.url.query}"
        headers = {"Accept": request.headers.get("accept", _FHIR_JSON)}
        headers["Authorization"] = request.headers.get("authorization") or f"Bearer {self.token}"
        try:
            upstream = await self._client.request(request.method, url, headers=headers)
        except httpx.HTTPError as exc:
            return _outcome(502, "transient", f"the FHIR server did not answer ({type(exc).__name__})")
        passed = {name: value for name, value in upstream.headers.items() if name.lower() in _PASSED_ON}
        return Response(upstream.content, status_code=upstream.status_code, headers=passed)

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        # trust_env=False: a developer's HTTP(S)_PROXY must not capture calls to 127.0.0.1.
        async with httpx.AsyncClient(timeout=30.0, trust_env=False) as client:
            self._client = client
            try:
                yield
            finally:
                self._client = None

    def app(self) -> Starlette:
        cors = Middleware(
            CORSMiddleware,
            allow_origins=self.cors_origins,
            allow_methods=["GET", "HEAD", "POST"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
            expose_headers=["Location", "ETag", "Last-Modified", "Content-Location"],
            max_age=600,
            allow_private_network=True,  # Chrome's preflight from a public origin (the Sandbox) to 127.0.0.1
        )
        return Starlette(
            routes=[
                Route("/fhir/.well-known/smart-configuration", self.smart_configuration, methods=["GET"]),
                Route(f"/fhir{LAUNCH_PATH}", self.sandbox_launch, methods=["POST"]),
                Route("/fhir/{path:path}", self.forward, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]),
                Route("/auth/authorize", self.auth.authorize, methods=["GET"]),
                Route("/auth/token", self.auth.token, methods=["POST"]),
            ],
            middleware=[cors],
            lifespan=self._lifespan,
        )
