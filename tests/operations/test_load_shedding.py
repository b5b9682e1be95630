"""Issue #25, item 3: beyond its budget a worker answers hook calls 503 with Retry-After at once, while
discovery, /healthz and feedback keep answering; refusals are counted in /metrics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import REGISTRY

from cds_hooks.app import create_app
from cds_hooks.settings import Settings
from tests.builders import TODAY, hook_request

CALL = "/cds-services/cml-tki-resistance"


class _SlowReader:
    """A FhirReader that answers empty Bundles after 1 s: a call that holds its slot for a second."""

    async def read(self, fhir_server: str, access_token: str | None, queries: Mapping[str, str]) -> dict[str, Any]:
        await asyncio.sleep(1.0)
        return {key: {"resourceType": "Bundle", "type": "searchset", "entry": []} for key in queries}


def _shed(reason: str) -> float:
    return REGISTRY.get_sample_value("cmlcds_shed_total", {"budget": "hook", "reason": reason}) or 0.0


def _slow_request() -> dict[str, Any]:
    request = hook_request(fhirServer="http://127.0.0.1:9/fhir")
    del request["prefetch"]["medicationRequests"]
    return request


async def _overload(tmp_path: Path) -> dict[str, Any]:
    settings = Settings(
        database_path=tmp_path / "d.sqlite3",
        max_concurrent_calls=2,
        max_queued_calls=2,
        queue_timeout_seconds=0.3,
        retry_after_seconds=3,
    )
    app = create_app(settings, today=lambda: TODAY, fhir_reader=_SlowReader())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:

        async def timed(method: str, url: str, **kwargs: Any) -> tuple[httpx.Response, float]:
            started = time.perf_counter()
            response = await client.request(method, url, **kwargs)
            return response, time.perf_counter() - started

        calls = [asyncio.ensure_future(timed("POST", CALL, json=_slow_request())) for _ in range(8)]
        await asyncio.sleep(0.1)  # two calls in progress, two waiting, four refused
        others = await asyncio.gather(
            timed("GET", "/healthz"),
            timed("GET", "/cds-services"),
            timed("POST", CALL + "/feedback", json={"feedback": [_feedback()]}),
            timed("GET", "/metrics"),
        )
        answered = await asyncio.gather(*calls)
    return {"calls": answered, "others": others}


def _feedback() -> dict[str, Any]:
    return {"card": "card-1", "outcome": "overridden", "outcomeTimestamp": "2026-12-01T10:00:00Z"}


def test_a_worker_past_its_budget_sheds_at_once_and_keeps_its_other_endpoints(tmp_path: Path) -> None:
    full, timeout = _shed("queue_full"), _shed("queue_timeout")
    result = asyncio.run(_overload(tmp_path))
    statuses = sorted(response.status_code for response, _ in result["calls"])
    assert statuses == [200, 200, 503, 503, 503, 503, 503, 503], statuses
    for response, seconds in result["calls"]:
        if response.status_code != 503:
            continue
        assert response.headers["Retry-After"] == "3"
        body = response.json()
        assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["code"] == "throttled"
        assert seconds < 0.6, seconds  # at once (queue full) or after the queue deadline (0.3 s)
    assert _shed("queue_full") - full == 4
    assert _shed("queue_timeout") - timeout == 2
    for response, seconds in result["others"]:
        assert response.status_code == 200, (response.request.url, response.text)
        assert seconds < 0.5, (response.request.url, seconds)
    assert "cmlcds_shed_total" in result["others"][3][0].text
