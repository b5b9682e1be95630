"""What reading the EHR's FHIR server costs, when the client sends no prefetch.

The same patient is loaded into a real FHIR server (sekmet-fhir, started by the test suite's helper on
127.0.0.1 with bearer auth) and sent to `cml-cds serve` twice: with full prefetch, and with only
`fhirServer` + `fhirAuthorization`, so the service reads every prefetch key itself. The difference is the
cost of the fallback (all keys in parallel, `next` links followed).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

import httpx

from tests.fhir_server import running_fhir_server

from .patients import hook_request
from .server import running

__all__ = ["FallbackTimes", "time_fallback"]

PATH = "/cds-services/cml-tki-resistance"
_TOKEN = "bench-fallback-token"  # noqa: S105 - bearer token of the throwaway local FHIR server


@dataclass(frozen=True)
class FallbackTimes:
    results: int
    calls: int
    prefetch_ms: float  # median wall time per call, full prefetch
    fallback_ms: float  # median wall time per call, every key read from the FHIR server
    same_cards: bool


def _resources(request: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for value in request["prefetch"].values():
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            out += [entry["resource"] for entry in value.get("entry", [])]
        elif isinstance(value, dict):
            out.append(value)
    return out


def _median_ms(client: httpx.Client, url: str, body: dict[str, Any], calls: int) -> tuple[float, list[str]]:
    client.post(url, json=body).raise_for_status()  # warm-up
    times: list[float] = []
    summaries: list[str] = []
    for _ in range(calls):
        started = time.perf_counter()
        response = client.post(url, json=body)
        times.append(time.perf_counter() - started)
        response.raise_for_status()
        summaries = sorted(card["summary"] for card in response.json()["cards"])
    return statistics.median(times) * 1e3, summaries


def time_fallback(results: int, calls: int) -> FallbackTimes:
    request = hook_request(results)
    with running_fhir_server(_TOKEN) as fhir, running("service") as service:
        fhir.put_all(_resources(request))
        fallback = {key: value for key, value in request.items() if key != "prefetch"}
        fallback["fhirServer"] = fhir.base_url
        fallback["fhirAuthorization"] = {
            "access_token": _TOKEN,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "cml-cds",
        }
        with httpx.Client(base_url=service.base_url, timeout=60.0, trust_env=False) as client:
            prefetch_ms, with_prefetch = _median_ms(client, PATH, request, calls)
            fallback_ms, without = _median_ms(client, PATH, fallback, calls)
    return FallbackTimes(results, calls, prefetch_ms, fallback_ms, with_prefetch == without)
