"""The framework floor: a bare FastAPI app that parses the JSON body and returns one fixed card.

Run by uvicorn exactly like the service, so the ratio service/floor is what our own code costs on top
of FastAPI + uvicorn + JSON for the same request.
"""

from __future__ import annotations

import json

from fastapi import FastAPI, Request, Response

__all__ = ["app"]

_CARD = json.dumps(
    {"cards": [{"summary": "floor", "indicator": "info", "source": {"label": "bench floor"}}]}, separators=(",", ":")
)

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.post("/cds-services/{service_id}")
async def call(service_id: str, request: Request) -> Response:
    json.loads(await request.body())
    return Response(_CARD, media_type="application/json")
