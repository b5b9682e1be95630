"""In-process cost of one hook call, stage by stage, on the service's own functions.

parse  = cds_hooks.body.decode_hook_request (what the route does with the body: bytes → slim models)
map    = fhir_mapping.build_snapshot (FHIR → patient model)
assess = tki_resistance.assess (the algorithm)
render = cds_hooks.cards.render_cards + the response with its extension, serialised (what goes on the wire)

Why in-process: over HTTP these costs hide behind the framework and the network stack; here each one
is timed alone, and divided by the number of results to see whether cost per result stays flat. Times are
the CPU time of the calling thread (`time.thread_time`), not wall time: on a machine shared with other
work, wall time mostly measures the neighbours.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from cds_hooks.body import decode_hook_request
from cds_hooks.cards import render_cards
from cds_hooks.gc_pause import cyclic_gc_paused
from cds_hooks.models import CdsResponse
from cds_hooks.services.base import CallContext
from cds_hooks.services.pipeline import response_extension
from fhir_mapping import build_snapshot
from tki_resistance import assess
from tki_resistance.knowledge.loader import Knowledge, default_knowledge

from .patients import hook_request_bytes

__all__ = ["StageTimes", "time_stages"]

STAGES = ("parse", "map", "assess", "render")
_CONTEXT = CallContext(knowledge=default_knowledge(), today=lambda: datetime.now(UTC).date(), service_version="bench")


@dataclass(frozen=True)
class StageTimes:
    results: int
    body_bytes: int
    repeats: int
    seconds: dict[str, float]  # stage → median seconds per call
    cards: int
    problems: tuple[int, int] = (0, 0)  # conditions and co-medications added to the chart (patients.py)

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    @property
    def per_result_us(self) -> float:
        return self.total / self.results * 1e6


def _once(body: bytes, knowledge: Knowledge) -> tuple[dict[str, float], int]:
    """One call, with the cyclic GC paused as the service pauses it (cds_hooks/gc_pause.py)."""
    with cyclic_gc_paused():
        return _stages(body, knowledge)


def _stages(body: bytes, knowledge: Knowledge) -> tuple[dict[str, float], int]:
    today = datetime.now(UTC).date()
    t0 = time.thread_time()
    request = decode_hook_request(body)
    t1 = time.thread_time()
    patient_id = str(request.context["patientId"])
    snapshot = build_snapshot(patient_id, request.prefetch or {}, today)
    t2 = time.thread_time()
    findings = assess(snapshot, knowledge)
    t3 = time.thread_time()
    cards = render_cards(findings, patient_id, request.hookInstance)
    CdsResponse(cards=cards, extension=response_extension(_CONTEXT, snapshot)).model_dump_json(exclude_none=True)
    t4 = time.thread_time()
    return {"parse": t1 - t0, "map": t2 - t1, "assess": t3 - t2, "render": t4 - t3}, len(cards)


def time_stages(
    results: int, budget_seconds: float, max_repeats: int, problems: tuple[int, int] = (0, 0)
) -> StageTimes:
    """Median of repeated calls, as many as fit in `budget_seconds` (at least one, at most `max_repeats`)."""
    knowledge = default_knowledge()
    body = hook_request_bytes(results, problems=problems)
    _once(hook_request_bytes(10), knowledge)  # warm-up (imports, caches) without paying a large call twice
    runs: list[dict[str, float]] = []
    cards = 0
    deadline = time.perf_counter() + budget_seconds
    while len(runs) < max_repeats and (not runs or time.perf_counter() < deadline):
        timing, cards = _once(body, knowledge)
        runs.append(timing)
    medians = {stage: statistics.median(run[stage] for run in runs) for stage in STAGES}
    return StageTimes(
        results=results, body_bytes=len(body), repeats=len(runs), seconds=medians, cards=cards, problems=problems
    )
