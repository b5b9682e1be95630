"""Load from wrk (Debian package `wrk`), when installed: a load generator in C that costs the server's cores little.

Why: the server and the load generator share the machine's two cores. The asyncio/httpx generator
(`load.py`) spends about as much CPU per request as a bare FastAPI app does, so with two worker processes
it takes the core the second worker needs and the throughput ratio measures the generator. wrk sends the
same POST over `concurrency` kept-alive connections (one thread), and reports latency percentiles from its
own histogram. Without wrk, `load.py` is used and the report says so.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from .load import LoadResult
from .server import Server, cpu_seconds

__all__ = ["available", "run_wrk"]

_SCRIPT = """
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %f, "non_2xx": %d, "errors": %d, "p50_ms": %f, "p99_ms": %f}\\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3))
end
"""


def available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(server: Server, path: str, body: bytes, concurrency: int, seconds: float, results: int) -> LoadResult:
    """One run of `seconds` (≤ 30) at `concurrency` connections, after a 1 s warm-up on the same connections."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
        body_path, script_path = Path(folder) / "body.json", Path(folder) / "post.lua"
        body_path.write_bytes(body)
        script_path.write_text(_SCRIPT)

        def wrk(duration: float) -> dict[str, float]:
            command = ["wrk", "-t1", f"-c{concurrency}", f"-d{duration:.0f}s", "--timeout", "60s"]
            command += ["-s", str(script_path), server.base_url + path]
            done = subprocess.run(
                command, capture_output=True, text=True, check=True, env={"BENCH_BODY": str(body_path)}
            )
            line = next(line for line in done.stdout.splitlines() if line.startswith("BENCH "))
            return dict(json.loads(line.removeprefix("BENCH ")))

        wrk(1)
        cpu0 = cpu_seconds(server.pid)
        run = wrk(max(1.0, min(seconds, 30.0)))
        cpu = cpu_seconds(server.pid) - cpu0
    return LoadResult(
        target=server.name,
        results=results,
        workers=server.workers,
        concurrency=concurrency,
        requests=int(run["requests"]),
        seconds=run["seconds"],
        non_2xx=int(run["non_2xx"]),
        errors=int(run["errors"]),
        p50_ms=run["p50_ms"],
        p99_ms=run["p99_ms"],
        server_cpu_s=cpu,
    )
