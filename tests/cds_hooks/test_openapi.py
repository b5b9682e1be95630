from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI

from cds_hooks.openapi import render_openapi

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "cml-cds.openapi.json"


def test_committed_openapi_matches_the_running_app(app: FastAPI) -> None:
    assert COMMITTED.read_text() == render_openapi(app), "run `make openapi` and commit the result"


def test_openapi_documents_cds_hooks_bodies_and_errors(app: FastAPI) -> None:
    document = json.loads(render_openapi(app))
    call = document["paths"]["/cds-services/{service_id}"]["post"]
    assert call["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/HookRequest"}
    assert {"200", "400", "404", "412", "413"} <= set(call["responses"])
    assert "422" not in call["responses"]
    feedback = document["paths"]["/cds-services/{service_id}/feedback"]["post"]
    assert feedback["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("FeedbackRequest")
