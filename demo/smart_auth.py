"""A SMART authorization server for the tests and the demo, on Authlib's generic OAuth 2.0 AuthorizationServer.

It plays the EHR's side of SMART App Launch 2.0: one public client, authorization code grant with PKCE
required (Authlib's CodeChallenge, and only S256 accepted), `aud` must be the FHIR server's base URL,
`launch` must be a launch this "EHR" started (or, standalone, scope `launch/patient`). Consent is given
at once (the test user is signed in). The token response carries the patient in context and an access
token the FHIR server accepts (sekmet-fhir knows static bearer tokens only).

Every request it receives is recorded, so tests can assert what the app sent (and that it sent nothing
for an unconfigured iss). The demo (`demo/ehr.py`) mounts the same two endpoints beside its FHIR front.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from authlib.oauth2 import AuthorizationServer, OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc7636 import CodeChallenge
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from cds_hooks.settings import normalise_url


@dataclass
class Client:
    client_id: str
    redirect_uris: list[str]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return False  # a public client has no secret

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class User:
    patient: str
    access_token: str = field(repr=False)


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None
    user: User

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class _Request(OAuth2Request):  # type: ignore[misc]  # Authlib ships no types (pyproject: authlib.*)
    """Authlib's request over already-parsed query and form parameters."""

    def __init__(self, method: str, uri: str, headers: dict[str, str], args: dict[str, str], form: dict[str, str]):
        super().__init__(method, uri, headers=headers)
        self._args = args
        self._form = form
        self.payload = BasicOAuth2Payload({**args, **form})

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _Grant(grants.AuthorizationCodeGrant):  # type: ignore[misc]  # Authlib is untyped
    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]  # noqa: RUF012 - Authlib's class attribute

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        self.server.codes[code] = Code(
            code=code,
            client_id=request.client.client_id,
            redirect_uri=data.get("redirect_uri", ""),
            scope=data.get("scope", ""),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            user=request.user,
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        found: Code | None = self.server.codes.get(code)
        return found if found is not None and found.client_id == client.client_id else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        self.server.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: Code) -> User:
        return authorization_code.user


class SmartAuthServer(AuthorizationServer):  # type: ignore[misc]  # Authlib is untyped
    """The EHR's authorization server: PKCE S256 required, aud checked, launch contexts known."""

    def __init__(self, *, fhir_base: str, client: Client, access_token: str) -> None:
        super().__init__()
        self.fhir_base = fhir_base
        self.client = client
        self.access_token = access_token
        self.launches: dict[str, tuple[str, str]] = {}  # launch id → (patient, the access token to issue)
        self.standalone_patient: str | None = None
        self.codes: dict[str, Code] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []  # (path, parameters), in arrival order
        self._lock = threading.Lock()
        self.register_grant(_Grant, [CodeChallenge(required=True)])
        self.register_token_generator("default", self._token)

    def new_launch(self, patient: str, access_token: str | None = None) -> str:
        """Start an EHR launch for `patient` (what an EHR does before opening the app); return its opaque id."""
        launch = secrets.token_urlsafe(16)
        with self._lock:
            self.launches[launch] = (patient, access_token or self.access_token)
        return launch

    def query_client(self, client_id: str) -> Client | None:
        return self.client if client_id == self.client.client_id else None

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        pass

    def create_oauth2_request(self, request: Any) -> Any:
        return request

    def create_json_request(self, request: Any) -> Any:  # pragma: no cover - no JSON endpoints here
        raise NotImplementedError

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        if isinstance(body, dict):
            return JSONResponse(body, status_code=status, headers=dict(headers))
        return Response(body or "", status_code=status, headers=dict(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass

    def _token(self, *, user: User, scope: str, **_: Any) -> dict[str, Any]:
        return {
            "token_type": "Bearer",
            "access_token": user.access_token,
            "expires_in": 3600,
            "scope": scope,
            "patient": user.patient,
        }

    def _record(self, path: str, params: dict[str, str]) -> None:
        with self._lock:
            self.requests.append((path, dict(params)))

    async def authorize(self, request: Request) -> Response:
        args = dict(request.query_params)
        self._record("authorize", args)
        redirect = args.get("redirect_uri", "")
        if not self.client.check_redirect_uri(redirect):
            return JSONResponse({"error": "invalid_request", "error_description": "unregistered redirect_uri"}, 400)

        def refuse(error: str, description: str) -> Response:
            query = urlencode({"error": error, "error_description": description, "state": args.get("state", "")})
            return RedirectResponse(f"{redirect}?{query}", status_code=302)

        if normalise_url(args.get("aud", "")) != normalise_url(self.fhir_base):
            return refuse("invalid_request", "aud is not this EHR's FHIR server")
        if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
            return refuse("invalid_request", "PKCE with S256 is required")
        scopes = args.get("scope", "").split()
        if "launch" in scopes:
            known = self.launches.get(args.get("launch", ""))
            if known is None:
                return refuse("invalid_request", "unknown launch")
            user = User(*known)
        elif "launch/patient" in scopes and self.standalone_patient:
            user = User(self.standalone_patient, self.access_token)
        else:
            return refuse("invalid_scope", "no launch context")
        oauth_request = _Request("GET", str(request.url), dict(request.headers), args, {})
        try:
            grant = self.get_consent_grant(request=oauth_request, end_user=user)
        except OAuth2Error as error:
            return refuse(error.error, error.description or "")
        response: Response = self.create_authorization_response(request=oauth_request, grant_user=user, grant=grant)
        return response

    async def token(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        self._record("token", form)
        oauth_request = _Request("POST", str(request.url), dict(request.headers), {}, form)
        response: Response = self.create_token_response(oauth_request)
        return response

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/auth/authorize", self.authorize, methods=["GET"]),
                Route("/auth/token", self.token, methods=["POST"]),
            ]
        )
