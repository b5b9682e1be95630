"""`python -m bench` (`make bench`): stage costs by patient size, and HTTP load against the framework floor.

Prints one Markdown report and writes it to bench/results/latest.md, with the numbers in
bench/results/latest.json. `BENCH_QUICK=1` shortens every run (for a smoke test); the figures are then
noisier. Targets are reported, not asserted: a benchmark that fails the build on a shared 2-core
machine would mostly measure the neighbours.
"""

from __future__ import annotations

import json
import logging
import os
import platform
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .fallback import FallbackTimes, time_fallback
from .load import LoadResult, run_load
from .patients import hook_request_bytes
from .server import running
from .stages import STAGES, StageTimes, time_stages

SIZES = (10, 60, 100, 1_000, 10_000)
HTTP_RESULTS = 60
CONCURRENCY = (1, 16, 64)
PATH = "/cds-services/cml-tki-resistance"
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(), "platform": platform.platform()}


def _http(seconds: float) -> list[LoadResult]:
    body = hook_request_bytes(HTTP_RESULTS)
    out: list[LoadResult] = []
    for name in ("service", "floor"):
        with running(name) as server:
            for concurrency in CONCURRENCY:
                out.append(run_load(server, PATH, body, concurrency, seconds, limit=20_000))
    return out


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"


def _stage_table(stages: list[StageTimes]) -> list[str]:
    head = (
        "| results | body KiB | runs | " + " | ".join(f"{s} ms" for s in STAGES) + " | total ms | µs/result | cards |"
    )
    lines = [head, "|" + "---:|" * (len(STAGES) + 6)]
    for t in stages:
        cells = [_ms(t.seconds[s]) for s in STAGES]
        row = [f"{t.results:,}", f"{t.body_bytes / 1024:.0f}", str(t.repeats), *cells, _ms(t.total)]
        lines.append("| " + " | ".join([*row, f"{t.per_result_us:.1f}", str(t.cards)]) + " |")
    return lines


def _http_table(runs: list[LoadResult]) -> list[str]:
    floor = {r.concurrency: r for r in runs if r.target == "floor"}
    lines = [
        "| target | conc. | requests | req/s | p50 ms | p99 ms | non-2xx | errors | server CPU ms/call | × floor CPU "
        "| × floor req/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        f = floor[r.concurrency]
        cpu_ratio = r.cpu_ms_per_call / f.cpu_ms_per_call if f.cpu_ms_per_call else float("nan")
        rps_ratio = r.rps / f.rps if f.rps else float("nan")
        lines.append(
            f"| {r.target} | {r.concurrency} | {r.requests:,} | {r.rps:.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} "
            f"| {r.non_2xx} | {r.errors} | {r.cpu_ms_per_call:.2f} | {cpu_ratio:.2f} | {rps_ratio:.2f} |"
        )
    return lines


def _targets(stages: list[StageTimes], runs: list[LoadResult]) -> list[str]:
    by_size = {t.results: t for t in stages}
    service = {r.concurrency: r for r in runs if r.target == "service"}
    floor = {r.concurrency: r for r in runs if r.target == "floor"}
    cpu_ratio = service[1].cpu_ms_per_call / floor[1].cpu_ms_per_call if floor[1].cpu_ms_per_call else float("nan")
    flatness = by_size[10_000].per_result_us / by_size[10].per_result_us
    big = by_size[10_000].total

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    return [
        "| target | measured | |",
        "|---|---|---|",
        f"| server CPU per call, {HTTP_RESULTS}-result patient ≤ 1.5× floor (concurrency 1) | {cpu_ratio:.2f}× "
        f"| {verdict(cpu_ratio <= 1.5)} |",
        f"| cost per result flat from 10 to 10,000 (ratio µs/result 10,000 vs 10) | {flatness:.2f}× "
        f"| {verdict(flatness <= 2.0)} |",
        f"| 10,000-result patient < 0.5 s in-process | {big:.3f} s | {verdict(big < 0.5)} |",
        f"| 0 non-2xx at concurrency 64 | {service[64].non_2xx + service[64].errors} | "
        f"{verdict(service[64].non_2xx + service[64].errors == 0)} |",
    ]


def _fallback_table(fallback: FallbackTimes) -> list[str]:
    return [
        "| results | calls | full prefetch ms/call | no prefetch (read from FHIR server) ms/call | cost of reading "
        "| same cards |",
        "|---:|---:|---:|---:|---:|---|",
        f"| {fallback.results} | {fallback.calls} | {fallback.prefetch_ms:.1f} | {fallback.fallback_ms:.1f} "
        f"| {fallback.fallback_ms - fallback.prefetch_ms:.1f} ms | {'yes' if fallback.same_cards else '**no**'} |",
    ]


def main() -> int:
    logging.disable(logging.WARNING)  # the service's start-up notices would interleave with the table
    quick = os.environ.get("BENCH_QUICK") == "1"
    stage_budget, http_seconds = (0.5, 3.0) if quick else (3.0, 8.0)
    machine = _machine()
    started = datetime.now(UTC)
    stages = [time_stages(n, stage_budget, max_repeats=3 if n >= 10_000 else 200) for n in SIZES]
    runs = _http(http_seconds)
    fallback = time_fallback(HTTP_RESULTS, calls=5 if quick else 20)
    report = [
        f"# cml-cds benchmark ({'quick' if quick else 'full'}), {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine['nproc']} × {machine['cpu']}, Python {machine['python']}. "
        "Load generator and server share the machine; server CPU is read from /proc/<pid>/stat.",
        "",
        "## In-process, per hook call, by stage (median)",
        "",
        *_stage_table(stages),
        "",
        f"## HTTP on 127.0.0.1, {HTTP_RESULTS}-result patient; floor = bare FastAPI parsing the body, fixed card",
        "",
        *_http_table(runs),
        "",
        f"## Prefetch fallback, {HTTP_RESULTS}-result patient: cml-cds serve reading a real FHIR server "
        "(sekmet-fhir, bearer auth) on 127.0.0.1, median wall time",
        "",
        *_fallback_table(fallback),
        "",
        "## Targets (reported, not asserted)",
        "",
        *_targets(stages, runs),
        "",
    ]
    text = "\n".join(report)
    print(text)
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "latest.md").write_text(text)
    data = {
        "started": started.isoformat(),
        "quick": quick,
        "machine": machine,
        "stages": [asdict(t) | {"total": t.total, "per_result_us": t.per_result_us} for t in stages],
        "http": [asdict(r) | {"rps": r.rps, "cpu_ms_per_call": r.cpu_ms_per_call} for r in runs],
        "fallback": asdict(fallback),
    }
    (RESULTS_DIR / "latest.json").write_text(json.dumps(data, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
