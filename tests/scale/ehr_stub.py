"""An EHR for launch tests across processes: the test SMART authorization server (tests/smart_app/auth_server.py:
PKCE S256 required, `aud` checked, launch contexts known) and a FHIR stub on one loopback port.

`{base}/fhir/.well-known/smart-configuration` names the authorization server (its reads are counted: the
service caches it per iss); the FHIR stub answers the patient and an empty searchset for every other
query, to the access token the authorization server issued only.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.smart_app.auth_server import Client, SmartAuthServer
from tests.smart_app.threaded_server import free_port, serving

__all__ = ["Ehr", "running_ehr"]

ACCESS_TOKEN = "ehr-stub-access-token"
PATIENT = "cml-1"


@dataclass
class Ehr:
    base: str
    auth: SmartAuthServer
    client_id: str = "cml-cds-scale"
    launch_id: str = "launch-1"
    configuration_reads: int = 0

    @property
    def fhir_base(self) -> str:
        return f"{self.base}/fhir"

    @property
    def redirect_uris(self) -> list[str]:
        return self.auth.client.redirect_uris


def _app(ehr: Ehr) -> Starlette:
    lock = threading.Lock()

    async def configuration(_: Request) -> JSONResponse:
        with lock:
            ehr.configuration_reads += 1
        return JSONResponse(
            {
                "authorization_endpoint": f"{ehr.base}/auth/authorize",
                "token_endpoint": f"{ehr.base}/auth/token",
                "code_challenge_methods_supported": ["S256"],
                "capabilities": ["launch-ehr", "launch-standalone", "client-public"],
            }
        )

    def authorised(request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {ACCESS_TOKEN}"

    async def patient(request: Request) -> JSONResponse:
        if not authorised(request):
            return JSONResponse({"resourceType": "OperationOutcome"}, status_code=401)
        return JSONResponse({"resourceType": "Patient", "id": request.path_params["id"]})

    async def search(request: Request) -> JSONResponse:
        if not authorised(request):
            return JSONResponse({"resourceType": "OperationOutcome"}, status_code=401)
        return JSONResponse({"resourceType": "Bundle", "type": "searchset", "total": 0, "entry": []})

    return Starlette(
        routes=[
            Route("/fhir/.well-known/smart-configuration", configuration),
            Route("/fhir/Patient/{id}", patient),
            Route("/fhir/{kind}", search),
            Route("/auth/authorize", ehr.auth.authorize, methods=["GET"]),
            Route("/auth/token", ehr.auth.token, methods=["POST"]),
        ]
    )


@contextlib.contextmanager
def running_ehr(redirect_uris: list[str]) -> Iterator[Ehr]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    ehr = Ehr(base, SmartAuthServer(fhir_base=f"{base}/fhir", client=Client("", []), access_token=ACCESS_TOKEN))
    ehr.auth.client = Client(ehr.client_id, list(redirect_uris))
    ehr.auth.launches = {ehr.launch_id: (PATIENT, ACCESS_TOKEN)}
    ehr.auth.standalone_patient = PATIENT
    with serving(_app(ehr), port):
        yield ehr
