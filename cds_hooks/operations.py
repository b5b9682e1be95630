"""Operations endpoints for the orchestrator and Prometheus: /healthz, /readyz, /metrics.

None of them takes the CDS client JWT: a kubelet or a scraper has none. /healthz says only that the
process answers (a liveness probe that checked the database would restart every pod when the database
blips). /readyz checks what a hook call needs — the knowledge base loaded, the database answering — so a
replica that cannot serve is taken out of the load balancer, not restarted. /metrics is kept internal at
the network (deploy/networkpolicy.yaml), not by a token.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from .metrics import exposition
from .runtime import RuntimeDep

__all__ = ["router"]

router = APIRouter(tags=["operations"])

_PLAIN: dict[str, Any] = {"content": {"text/plain": {"schema": {"type": "string"}}}}


@router.get("/healthz", response_class=Response, responses={200: {**_PLAIN, "description": "The process runs"}})
async def healthz() -> Response:
    """Liveness: 200 while the process answers; checks no dependency."""
    return Response("ok\n", media_type="text/plain")


@router.get(
    "/readyz",
    response_class=Response,
    responses={
        200: {**_PLAIN, "description": "Knowledge base loaded and database answering"},
        503: {**_PLAIN, "description": "Not ready: the line says what is missing"},
    },
)
async def readyz(runtime: RuntimeDep) -> Response:
    """Readiness: 200 when the knowledge base is loaded and the database answers, else 503."""
    problems = []
    if runtime.knowledge is None or not runtime.knowledge.version:
        problems.append("knowledge base not loaded")
    if runtime.database is None or not await run_in_threadpool(runtime.database.ping):
        problems.append("database not answering")
    if problems:
        return Response("; ".join(problems) + "\n", status_code=503, media_type="text/plain")
    return Response("ready\n", media_type="text/plain")


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {**_PLAIN, "description": "Prometheus text exposition format"},
        401: {**_PLAIN, "description": "Production: no or a wrong `Authorization: Bearer <metrics_token>`"},
        403: {**_PLAIN, "description": "Production without a metrics_token configured: /metrics is closed"},
    },
)
async def prometheus_metrics(request: Request, runtime: RuntimeDep) -> Response:
    """Prometheus metrics of all workers of this replica (production: with `Authorization: Bearer <metrics_token>`)."""
    settings = runtime.settings
    if settings.mode == "production":
        if settings.metrics_token is None:
            return Response("metrics_token not configured\n", status_code=403, media_type="text/plain")
        expected = f"Bearer {settings.metrics_token.get_secret_value()}".encode()
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return Response(
                "bearer token required\n",
                status_code=401,
                media_type="text/plain",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
    body, content_type = await run_in_threadpool(exposition)
    return Response(body, media_type=content_type)
