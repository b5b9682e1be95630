"""Prometheus metrics: what an operator watches — calls, cards, latency per stage, FHIR reads, feedback, refusals.

Under `cml-cds serve --workers N` every worker is its own process; prometheus-client's multiprocess mode
(`PROMETHEUS_MULTIPROC_DIR`, a folder the CLI creates before any worker starts) makes each worker write
its values to files there, and `/metrics` — whichever worker answers it — adds them all up. Without the
variable (tests, an embedded app) the process's own registry is exposed. Labels are closed sets (known
service ids, finding codes, stage names, refusal kinds): nothing a caller chooses becomes a label value.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.multiprocess import MultiProcessCollector

from fhir_mapping.fhir_client import FhirReader, FhirReadError

from .errors import CdsError

__all__ = [
    "AUDIT_LOST",
    "CARDS",
    "FEEDBACK",
    "HOOK_CALLS",
    "HOOK_SECONDS",
    "IN_PROGRESS",
    "SHED",
    "MeasuredFhirReader",
    "auth_refused",
    "child",
    "exposition",
    "stage",
]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HOOK_CALLS = Counter("cmlcds_hook_calls", "Hook calls answered, by service and HTTP status", ["service", "status"])
CARDS = Counter("cmlcds_cards", "Cards returned, by service and finding code", ["service", "code"])
HOOK_SECONDS = Histogram(
    "cmlcds_hook_call_seconds", "Hook call latency, request to response", ["service"], buckets=_LATENCY_BUCKETS
)
STAGE_SECONDS = Histogram(
    "cmlcds_stage_seconds",
    "Latency of one stage of a hook call: fhir_read, mapping_algorithm, rendering",
    ["stage"],
    buckets=_LATENCY_BUCKETS,
)
FHIR_READS = Counter("cmlcds_fhir_reads", "Reads from a fhirServer (one per hook call that needs them)", ["outcome"])
FEEDBACK = Counter("cmlcds_feedback_items", "Feedback items received, by outcome and result", ["outcome", "result"])
AUTH_REFUSALS = Counter("cmlcds_auth_refusals", "Requests refused for their CDS client JWT, by reason", ["reason"])
SHED = Counter(
    "cmlcds_shed",
    "Calls refused 503 for overload (load shedding), by budget (hook, feedback) and reason",
    ["budget", "reason"],
)
IN_PROGRESS = Gauge(
    "cmlcds_calls_in_progress",
    "Calls holding a slot of their budget (hook, feedback), summed over the live workers",
    ["budget"],
    multiprocess_mode="livesum",
)
AUDIT_LOST = Counter("cmlcds_audit_records_lost", "Audit rows that could not be stored (the log line was written)")

STAGES = ("fhir_read", "mapping_algorithm", "rendering")

# A refusal's log message starts with what failed; the metric keeps only that kind.
_REFUSAL_KINDS = (
    ("no Bearer token", "missing"),
    ("header unreadable", "malformed"),
    ("payload unreadable", "malformed"),
    ("alg ", "algorithm"),
    ("typ ", "typ"),
    ("no kid", "kid"),
    ("issuer ", "issuer"),
    ("jku ", "jku"),
    ("kid ", "kid"),
    ("key ", "key"),
    ("tenant ", "tenant"),
    ("exp is more", "lifetime"),
    ("jti replayed", "replay"),
    ("jti is not", "jti"),
    ("ExpiredSignatureError", "expired"),
    ("ImmatureSignatureError", "not_yet_valid"),
    ("InvalidAudienceError", "audience"),
    ("InvalidIssuedAtError", "iat"),
    ("MissingRequiredClaimError", "missing_claim"),
    ("InvalidSignatureError", "signature"),
    ("DecodeError", "malformed"),
)


def refusal_kind(reason: str) -> str:
    for prefix, kind in _REFUSAL_KINDS:
        if reason.startswith(prefix):
            return kind
    return "other"


def auth_refused(reason: str) -> None:
    child(AUTH_REFUSALS, refusal_kind(reason)).inc()


_Metric = TypeVar("_Metric", Counter, Gauge, Histogram)
_CHILDREN: dict[tuple[int, tuple[str, ...]], Any] = {}


def child(metric: _Metric, *labels: str) -> _Metric:
    """`metric.labels(*labels)`, looked up once per process: the one way this service reaches a labelled metric.
    Every hook call asks for the same few (label values are closed sets, above), and prometheus-client's look-up
    checks the values and takes a lock each time."""
    key = (id(metric), labels)
    found = _CHILDREN.get(key)
    if found is None:
        found = _CHILDREN[key] = metric.labels(*labels)
    return cast(_Metric, found)


class stage:
    """Time one stage of a hook call into `cmlcds_stage_seconds` (a class, not a generator: it runs twice a call)."""

    __slots__ = ("_started", "_timer")

    def __init__(self, name: str) -> None:
        self._timer = child(STAGE_SECONDS, name)
        self._started = 0.0

    def __enter__(self) -> None:
        self._started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self._timer.observe(time.perf_counter() - self._started)


class MeasuredFhirReader:
    """A FhirReader that counts each read by outcome and times it as the `fhir_read` stage."""

    def __init__(self, inner: FhirReader) -> None:
        self.inner = inner

    async def read(self, fhir_server: str, access_token: str | None, queries: Mapping[str, str]) -> dict[str, Any]:
        outcome = "error"
        try:
            with stage("fhir_read"):
                result = await self.inner.read(fhir_server, access_token, queries)
            usable = [_usable(value) for value in result.values()]
            outcome = "ok" if all(usable) else "partial" if any(usable) else "failed"
            return result
        except FhirReadError:
            outcome = "failed"
            raise
        except CdsError:
            outcome = "refused"  # fhirServer not allowed: never contacted
            raise
        finally:
            child(FHIR_READS, outcome).inc()


def _usable(value: Any) -> bool:
    return not (isinstance(value, dict) and value.get("resourceType") == "OperationOutcome")


def exposition() -> tuple[bytes, str]:
    """The text exposition: of all workers in multiprocess mode, else of this process.

    The mode is the one prometheus-client chose when it was imported (values.ValueClass), not the current
    environment: a variable set later would collect files this process never wrote.
    """
    if values.ValueClass is not values.MutexValue:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
