"""The FastAPI dependency that authenticates discovery, service calls and feedback when auth is on.

The audience is the public URL of the endpoint being called: `public_base_url` + the path inside the app
(so a proxy prefix and TLS termination do not change what the JWT must say). Without `public_base_url`
(development only) the request's own base URL is used.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..errors import Unauthorized
from ..metrics import auth_refused
from ..public_url import app_path, public_base_url
from ..runtime import Runtime, RuntimeDep
from ..settings import Settings
from .verifier import AuthFailure, VerifiedClient

__all__ = ["ClientDep", "audience", "authenticate_request", "bearer_scheme"]

logger = logging.getLogger("cml_cds.auth")

bearer_scheme = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    scheme_name="cdsClientJwt",
    description=(
        "CDS Hooks 2.0 client JWT (ES384, RS384, ES256 or RS256; aud = the URL of the endpoint called). "
        "Required on every endpoint when authentication is on (the default in production)."
    ),
)


def audience(request: Request, settings: Settings) -> str:
    return public_base_url(request, settings) + app_path(request.scope)


async def authenticate(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> VerifiedClient | None:
    """None when authentication is off; the verified client otherwise; Unauthorized (generic) on failure."""
    return await verified_client(request, runtime, credentials)


async def authenticate_request(request: Request, runtime: Runtime) -> VerifiedClient | None:
    """`authenticate` for a route that does not use FastAPI's dependencies (the hook call route)."""
    return await verified_client(request, runtime, await bearer_scheme(request) if runtime.verifier else None)


async def verified_client(
    request: Request, runtime: Runtime, credentials: HTTPAuthorizationCredentials | None
) -> VerifiedClient | None:
    """The one verification both entries share: None when authentication is off, else the verified client
    or Unauthorized (generic; the reason goes to the log and the refusal metric only)."""
    if runtime.verifier is None:
        return None
    if credentials is None:
        reason = "no Bearer token"
    else:
        try:
            client = await runtime.verifier.verify(credentials.credentials, audience(request, runtime.settings))
        except AuthFailure as exc:
            reason = str(exc)
        else:
            request.state.issuer = client.issuer.iss
            return client
    logger.warning("authentication refused", extra={"reason": reason, "path": request.scope["path"]})
    auth_refused(reason)
    request.state.auth_failure = True
    raise Unauthorized("authentication required")


ClientDep = Annotated[VerifiedClient | None, Depends(authenticate)]
