"""A bounded asyncio load generator (httpx): fixed concurrency, stops at a request count or a time limit.

Closed loop: each of `concurrency` workers sends the next request when its previous answer arrived, so
the server is never asked for more than it can take and latency is what a client waits.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from .server import Server, cpu_seconds

__all__ = ["LoadResult", "run_load"]


@dataclass(frozen=True)
class LoadResult:
    target: str
    results: int  # BCR::ABL1 results in the patient sent
    workers: int
    concurrency: int
    requests: int
    seconds: float
    non_2xx: int
    errors: int
    p50_ms: float
    p99_ms: float
    server_cpu_s: float
    round: int = 0  # runs of one round (service, floor, edge back to back) are compared with each other

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_call(self) -> float:
        return self.server_cpu_s / self.requests * 1e3 if self.requests else 0.0


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


async def _load(
    server: Server, path: str, body: bytes, concurrency: int, seconds: float, limit: int, results: int
) -> LoadResult:
    latencies: list[float] = []
    counts = {"non_2xx": 0, "errors": 0, "sent": 0}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=60.0, trust_env=False) as client:
        await client.post(path, content=body, headers=headers)  # warm-up, connection set-up
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline and counts["sent"] < limit:
                counts["sent"] += 1
                t0 = time.perf_counter()
                try:
                    response = await client.post(path, content=body, headers=headers)
                except httpx.HTTPError:
                    counts["errors"] += 1
                    continue
                latencies.append(time.perf_counter() - t0)
                if not response.is_success:
                    counts["non_2xx"] += 1

        cpu0, t0 = cpu_seconds(server.pid), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed, cpu = time.perf_counter() - t0, cpu_seconds(server.pid) - cpu0
    latencies.sort()
    return LoadResult(
        target=server.name,
        results=results,
        workers=server.workers,
        concurrency=concurrency,
        requests=len(latencies),
        seconds=elapsed,
        non_2xx=counts["non_2xx"],
        errors=counts["errors"],
        p50_ms=_percentile(latencies, 0.50) * 1e3,
        p99_ms=_percentile(latencies, 0.99) * 1e3,
        server_cpu_s=cpu,
    )


def run_load(
    server: Server, path: str, body: bytes, concurrency: int, seconds: float, limit: int, results: int
) -> LoadResult:
    """One bounded run: at most `seconds` (≤ 30) and at most `limit` requests."""
    return asyncio.run(_load(server, path, body, concurrency, min(seconds, 30.0), limit, results))
