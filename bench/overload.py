"""Overload run (issue #25, item 3): one worker, 1,500 concurrent callers for 15 s, each giving up after 5 s.

What a CDS client under a hospital's worst day sees: an answer, or at once a 503 with `Retry-After` — never
a wait that ends in its own timeout. Each caller is one kept-alive HTTP/1.1 connection (raw asyncio streams:
an httpx client per caller would take the core the server needs) that sends the 60-result patient-view call,
waits at most `CLIENT_TIMEOUT` s for the answer (then closes the connection, as a client that gives up does),
and after a 503 waits what `Retry-After` says (× 1–1.5, so the callers do not come back in step) before it
asks again. Loopback only; bounded by time (`SECONDS` of sending, then the calls in flight) and by count
(`MAX_REQUESTS`).

`python -m bench.overload` runs it alone; `python -m bench` (`make bench`) includes it.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import random
import resource
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

from .patients import hook_request_bytes
from .server import cpu_seconds, running

__all__ = ["OverloadResult", "overload_table", "run_overload"]

CONCURRENCY = 1_500
SECONDS = 15.0
CLIENT_TIMEOUT = 5.0
MAX_REQUESTS = 100_000  # per generator process
GENERATORS = 2
RESULTS = 60
PATH = "/cds-services/cml-tki-resistance"


@dataclass
class OverloadResult:
    concurrency: int
    seconds: float
    client_timeout_s: float
    sent: int = 0
    answered_2xx: int = 0
    refused_503: int = 0
    refused_with_retry_after: int = 0
    timeouts: int = 0
    errors: int = 0
    other: dict[str, int] = field(default_factory=dict)
    answered_p50_ms: float = 0.0
    answered_p99_ms: float = 0.0
    answered_max_ms: float = 0.0
    refused_p99_ms: float = 0.0
    elapsed_s: float = 0.0
    server_cpu_s: float = 0.0

    @property
    def every_refusal_503_with_retry_after(self) -> bool:
        return self.refused_503 == self.refused_with_retry_after and not self.other

    @property
    def answered_per_s(self) -> float:
        return self.answered_2xx / self.elapsed_s if self.elapsed_s else 0.0


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers


async def _load(
    base_url: str, concurrency: int, seconds: float, client_timeout: float
) -> tuple[OverloadResult, list[float], list[float]]:
    host, port = base_url.removeprefix("http://").split(":")
    body = hook_request_bytes(RESULTS)
    request = (
        f"POST {PATH} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    result = OverloadResult(concurrency, seconds, client_timeout)
    answered: list[float] = []
    refused: list[float] = []
    other: Counter[str] = Counter()
    deadline = time.monotonic() + seconds

    async def caller() -> None:
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        while time.monotonic() < deadline and result.sent < MAX_REQUESTS:
            started = time.perf_counter()
            try:
                async with asyncio.timeout(client_timeout):
                    if writer is None:
                        reader, writer = await asyncio.open_connection(host, int(port))
                    assert reader is not None
                    result.sent += 1
                    writer.write(request)
                    status, headers = await _response(reader)
            except TimeoutError:
                result.timeouts += 1  # the client gives up and hangs up
                _close(writer)
                writer = None
                continue
            except (OSError, asyncio.IncompleteReadError, ValueError):
                result.errors += 1
                _close(writer)
                writer = None
                await asyncio.sleep(0.1)
                continue
            took = time.perf_counter() - started
            if 200 <= status < 300:
                result.answered_2xx += 1
                answered.append(took)
            elif status == 503:
                result.refused_503 += 1
                refused.append(took)
                retry = headers.get("retry-after", "")
                if retry.isdigit():
                    result.refused_with_retry_after += 1
                    await asyncio.sleep(int(retry) * random.uniform(1.0, 1.5))
                else:
                    await asyncio.sleep(1.0)
            else:
                other[str(status)] += 1
            if headers.get("connection", "").lower() == "close":
                _close(writer)
                writer = None
        _close(writer)

    await asyncio.gather(*(caller() for _ in range(concurrency)))
    result.other = dict(other)
    return result, answered, refused


def _generator(args: tuple[str, int, float, float]) -> tuple[OverloadResult, list[float], list[float]]:
    """One load-generator process: its share of the callers."""
    return asyncio.run(_load(*args))


def _merge(parts: list[tuple[OverloadResult, list[float], list[float]]], total: OverloadResult) -> OverloadResult:
    answered = [t for _, a, _ in parts for t in a]
    refused = [t for _, _, r in parts for t in r]
    other: Counter[str] = Counter()
    for part, _, _ in parts:
        for name in ("sent", "answered_2xx", "refused_503", "refused_with_retry_after", "timeouts", "errors"):
            setattr(total, name, getattr(total, name) + getattr(part, name))
        other.update(part.other)
    total.other = dict(other)
    total.answered_p50_ms = _percentile(answered, 0.50) * 1e3
    total.answered_p99_ms = _percentile(answered, 0.99) * 1e3
    total.answered_max_ms = max(answered, default=0.0) * 1e3
    total.refused_p99_ms = _percentile(refused, 0.99) * 1e3
    return total


def _close(writer: asyncio.StreamWriter | None) -> None:
    """Hang up (a client that gave up); the caller forgets the connection and opens a new one."""
    if writer is not None:
        writer.close()


def run_overload(
    concurrency: int = CONCURRENCY,
    seconds: float = SECONDS,
    client_timeout: float = CLIENT_TIMEOUT,
    generators: int = GENERATORS,
) -> OverloadResult:
    """`cml-cds serve` with one worker (default settings) under `concurrency` callers for `seconds` (≤ 30), the
    callers shared by `generators` processes (one asyncio process at 1,500 connections lags by itself, and
    its lag would be counted as the server's)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < concurrency + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, concurrency + 1024), hard))
    seconds = min(seconds, 30.0)
    shares = [concurrency // generators + (1 if i < concurrency % generators else 0) for i in range(generators)]
    with running("service", workers=1) as server:
        cpu0, t0 = cpu_seconds(server.pid), time.perf_counter()
        with multiprocessing.get_context("spawn").Pool(generators) as pool:
            parts = pool.map(_generator, [(server.base_url, share, seconds, client_timeout) for share in shares])
        total = OverloadResult(concurrency, seconds, client_timeout)
        total.elapsed_s = time.perf_counter() - t0
        total.server_cpu_s = cpu_seconds(server.pid) - cpu0
    return _merge(parts, total)


def overload_table(run: OverloadResult) -> list[str]:
    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    return [
        "| measure | value | |",
        "|---|---|---|",
        f"| callers (kept-alive connections), one worker | {run.concurrency:,} | |",
        f"| sending for / until the last answer | {run.seconds:.0f} s / {run.elapsed_s:.1f} s | |",
        f"| calls sent | {run.sent:,} | |",
        f"| answered 200 | {run.answered_2xx:,} ({run.answered_per_s:.0f}/s) | |",
        f"| refused 503 (with `Retry-After`) | {run.refused_503:,} ({run.refused_with_retry_after:,}) "
        f"| {verdict(run.every_refusal_503_with_retry_after)} |",
        f"| client timeouts ({run.client_timeout_s:.0f} s) | {run.timeouts:,} | {verdict(run.timeouts == 0)} |",
        f"| connection errors | {run.errors:,} | {verdict(run.errors == 0)} |",
        f"| other statuses | {run.other or 'none'} | |",
        f"| answered: p50 / p99 / max | {run.answered_p50_ms:.0f} / {run.answered_p99_ms:.0f} / "
        f"{run.answered_max_ms:.0f} ms | reported |",
        f"| refused: p99 | {run.refused_p99_ms:.0f} ms | reported |",
        f"| server CPU | {run.server_cpu_s:.1f} s | |",
    ]


def main() -> int:
    quick = os.environ.get("BENCH_QUICK") == "1"
    run = run_overload(seconds=5.0 if quick else SECONDS)
    print("\n".join(overload_table(run)))
    print(json.dumps(asdict(run)), file=sys.stderr)
    return 0 if run.timeouts == 0 and run.every_refusal_503_with_retry_after else 1


if __name__ == "__main__":
    raise SystemExit(main())
