"""Where a call's synchronous part runs: inline for a small patient, in a worker thread for a large one."""

from __future__ import annotations

import json
import threading
from typing import Any

import anyio
import pytest

from cds_hooks.services.offload import INLINE_RESOURCES, resource_count, run_sized
from fhir_mapping.decode import decode_prefetch


def _bundle(n: int) -> str:
    entries = ",".join(f'{{"resource":{{"resourceType":"Observation","id":"o{i}"}}}}' for i in range(n))
    return f'{{"resourceType":"Bundle","type":"searchset","entry":[{entries}]}}'


def test_resource_count_counts_decoded_bundles_plain_bundles_and_single_resources() -> None:
    import msgspec

    prefetch = decode_prefetch(
        msgspec.Raw(f'{{"a":{_bundle(3)},"b":{_bundle(0)},"patient":{{"resourceType":"Patient","id":"p"}}}}'.encode())
    )
    prefetch["read"] = {"resourceType": "Bundle", "entry": [{}, {}]}  # as a fallback read may give it
    prefetch["missing"] = None
    assert resource_count(prefetch) == 3 + 0 + 1 + 2


def _thread_of_call(size: int) -> int:
    async def main() -> int:
        return await run_sized(size, threading.get_ident)

    return anyio.run(main)


@pytest.mark.parametrize("size", [0, INLINE_RESOURCES])
def test_a_small_call_runs_on_the_event_loop_thread(size: int) -> None:
    caller = threading.get_ident()  # anyio.run runs the loop in this thread
    assert _thread_of_call(size) == caller


def test_a_large_call_runs_in_a_worker_thread() -> None:
    assert _thread_of_call(INLINE_RESOURCES + 1) != threading.get_ident()


def test_arguments_and_result_pass_through_both_ways() -> None:
    async def main() -> tuple[int, int]:
        small = await run_sized(1, pow, 2, 10)
        large = await run_sized(INLINE_RESOURCES + 1, pow, 3, 4)
        return small, large

    assert anyio.run(main) == (1024, 81)


def test_a_large_patient_does_not_hold_the_event_loop_from_other_callers(app: Any, monkeypatch: Any) -> None:
    """Through the app: while a 6,000-result call is being mapped, /healthz still answers.

    No clock decides it. The large call's mapping waits at a gate that only a /healthz answer, given while the
    mapping waits, opens. Threaded, the event loop is free and the answer comes at once. Inline, the waiting
    mapping holds the loop, /healthz cannot answer, and the gate gives up after 10 s: the test fails (make
    `run_sized` always inline to see it). An earlier version compared the longest gap between /healthz answers
    with the length of the call; it failed once in CI on a slow machine (a 0.29 s gap in a 0.49 s call)."""
    import httpx

    from cds_hooks.services.pipeline import snapshot_for
    from tests.builders import TODAY, bcr_abl1, days_after, hook_request, tki_statement

    mapping_began = threading.Event()
    health_answered = threading.Event()
    opened_by_health: list[bool] = []

    def gated_snapshot_for(*args: Any) -> Any:
        mapping_began.set()
        opened_by_health.append(health_answered.wait(timeout=10))
        return snapshot_for(*args)

    monkeypatch.setattr("cds_hooks.services.cml_tki_resistance.snapshot_for", gated_snapshot_for)
    start = days_after(TODAY, -61)
    body = json.dumps(
        hook_request(
            transcripts=[bcr_abl1(days_after(start, i / 100), 1.0 + i % 7) for i in range(6000)],
            medications=[tki_statement("imatinib", start, dose_mg=400)],
        )
    ).encode()
    statuses: list[int] = []

    async def main() -> None:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as client:

                async def large() -> None:
                    response = await client.post(
                        "/cds-services/cml-tki-resistance", content=body, headers={"content-type": "application/json"}
                    )
                    statuses.append(response.status_code)

                async def health_while_mapping() -> None:
                    while not mapping_began.is_set():
                        await anyio.sleep(0.005)
                    statuses.append((await client.get("/healthz")).status_code)
                    health_answered.set()

                async with anyio.create_task_group() as group:
                    group.start_soon(large)
                    group.start_soon(health_while_mapping)

    anyio.run(main)
    assert opened_by_health == [True]
    assert sorted(statuses) == [200, 200]
