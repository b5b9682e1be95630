"""Act as the EHR with healthchain's CDS client against a running cml-cds; print what happened as JSON.

Runs under the healthchain venv's python (see `healthchain_env.py`), never in the project's venv, so
nothing here imports the project. Input: a JSON file (argv[1]) with `service_url`, `service_id` and
`scenarios` (name, context, prefetch, fhirServer, fhirAuthorization; optionally hook and service_id).
Output on stdout: one JSON object the pytest side asserts on.

Each scenario is sent twice: by healthchain's own `SandboxClient.send_requests()` (the third-party
request serialisation and response handling) and by a plain httpx POST of the same request body, to see
the status code and the raw body. The raw body is validated with healthchain's `CDSResponse` here,
because `send_requests()` falls back to returning the raw body when its parsing fails and so would hide
a non-conforming response.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import httpx

# healthchain lives only in its own venv (healthchain_env.py), not in the one mypy runs in
from healthchain.models import (  # type: ignore[import-not-found]
    CDSFeedback,
    CDSRequest,
    CDSResponse,
    CDSServiceInformation,
    FHIRAuthorization,
)
from healthchain.models.hooks import OrderSelectContext, OrderSignContext, PatientViewContext  # type: ignore[import-not-found]
from healthchain.sandbox import SandboxClient  # type: ignore[import-not-found]
from pydantic import ValidationError

TIMEOUT = 60.0
#: healthchain's context model per hook (a scenario names its hook; patient-view by default).
CONTEXTS: dict[str, Any] = {
    "patient-view": PatientViewContext,
    "order-select": OrderSelectContext,
    "order-sign": OrderSignContext,
}


def _request(scenario: dict[str, Any]) -> CDSRequest:
    """Build the hook request with healthchain's models, as a healthchain-based EHR would."""
    auth = scenario.get("fhirAuthorization")
    hook = scenario.get("hook", "patient-view")
    return CDSRequest(
        hook=hook,
        hookInstance=scenario["hookInstance"],
        context=CONTEXTS[hook](**scenario["context"]),
        prefetch=scenario.get("prefetch"),
        fhirServer=scenario.get("fhirServer"),
        fhirAuthorization=FHIRAuthorization(**auth) if auth else None,
    )


def _validate(model: Any, body: Any) -> str | None:
    try:
        model.model_validate(body)
    except ValidationError as exc:
        return str(exc)
    return None


def _finding_codes(body: Any) -> list[str | None]:
    if not isinstance(body, dict):
        return []
    return [((card.get("extension") or {}).get("org.cmlcds.finding") or {}).get("code") for card in body["cards"]]


def _call(service_url: str, http: httpx.Client, scenario: dict[str, Any]) -> dict[str, Any]:
    request = _request(scenario)
    client = SandboxClient(url=service_url, workflow=scenario.get("hook", "patient-view"), timeout=TIMEOUT)
    client.requests.append(request)
    [sandbox_result] = client.send_requests()

    # healthchain 0.16.1 types CDSRequest.context as BaseHookContext, so its own model_dump (and so
    # SandboxClient) drops the hook-specific fields (selections, draftOrders) of the ordering hooks;
    # serialize_as_any keeps what its OrderSelectContext / OrderSignContext validated.
    ordering = request.hook != "patient-view"
    raw = http.post(service_url, json=request.model_dump(exclude_none=True, mode="json", serialize_as_any=ordering))
    try:
        body: Any = raw.json()
    except ValueError:
        body = raw.text
    ok = raw.status_code == 200 and isinstance(body, dict)
    return {
        "name": scenario["name"],
        "status": raw.status_code,
        "body": body,
        "cds_response_error": _validate(CDSResponse, body) if ok else "not a 200 JSON object",
        # SandboxClient answers {} on HTTP errors and the raw body (which keeps our top-level `extension`)
        # when its CDSResponse parsing failed; its own model_dump has no `extension`.
        "sandbox_result": sandbox_result,
        "sandbox_parsed": bool(sandbox_result) and "extension" not in sandbox_result,
        "finding_codes": _finding_codes(body) if ok else [],
        "card_uuids": [c.get("uuid") for c in body["cards"]] if ok else [],
    }


def _feedback(base: str, service_id: str, http: httpx.Client, card_uuid: str) -> dict[str, Any]:
    """Override one card with healthchain's feedback model, wrapped as CDS Hooks 2.0 wants it."""
    item = CDSFeedback(card=card_uuid, outcome="overridden", outcomeTimestamp=datetime.now(UTC).isoformat())
    payload = {"feedback": [item.model_dump(mode="json", exclude_none=True)]}
    answers = [http.post(f"{base}/cds-services/{service_id}/feedback", json=payload) for _ in range(2)]
    return {"payload": payload, "statuses": [a.status_code for a in answers], "bodies": [a.json() for a in answers]}


def main(argv: list[str]) -> int:
    with open(argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    base, service_id = spec["service_url"].rstrip("/"), spec["service_id"]
    service_url = f"{base}/cds-services/{service_id}"
    out: dict[str, Any] = {"healthchain": version("healthchain")}
    with httpx.Client(timeout=TIMEOUT, trust_env=False) as http:
        discovery = http.get(f"{base}/cds-services")
        out["discovery"] = {
            "status": discovery.status_code,
            "error": _validate(CDSServiceInformation, discovery.json()),
            "services": discovery.json().get("services", []),
        }
        out["calls"] = [
            _call(f"{base}/cds-services/{s['service_id']}" if "service_id" in s else service_url, http, s)
            for s in spec["scenarios"]
        ]
        uuids = [u for call in out["calls"] for u in call["card_uuids"] if u]
        out["feedback"] = _feedback(base, service_id, http, uuids[0]) if uuids else None
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
