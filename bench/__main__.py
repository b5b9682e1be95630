"""`python -m bench` (`make bench`): stage costs by patient size, and HTTP load against the framework floor.

Prints one Markdown report and writes it to bench/results/latest.md, with the numbers in
bench/results/latest.json. `BENCH_QUICK=1` shortens every run (for a smoke test); the figures are then
noisier. Targets are reported, not asserted: a benchmark that fails the build on a shared 2-core
machine would mostly measure the neighbours.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import platform
import statistics
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .fallback import FallbackTimes, time_fallback
from .load import LoadResult, run_load
from .overload import CLIENT_TIMEOUT, CONCURRENCY, SECONDS, overload_table, run_overload
from .patients import chart_label, hook_request_bytes
from .server import Server, running, serve_supports_workers
from .stages import STAGES, StageTimes, time_stages
from .wrk import available as wrk_available
from .wrk import run_wrk

SIZES = (10, 60, 100, 1_000, 10_000)
#: The 60-result patient again with a hospital chart's problem list and everyday medicines (conditions,
#: co-medications): what a resource other than a BCR::ABL1 result costs.
CHART = (60, (40, 30))
HTTP_RESULTS = 60
#: (patient size, concurrency levels): CPU per call against the floor at 16; latency at 1 and 64.
HTTP_PLAN = ((60, (1, 16, 64)), (1_000, (16,)), (10_000, (16,)))
CPU_CONCURRENCY = 16
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


def _limit(results: int) -> int:
    """Requests per run: enough for a stable CPU figure, few enough for a 3 MiB body on a shared machine."""
    return 20_000 if results <= 100 else 400 if results <= 1_000 else 40


#: Up to this patient size wrk (when installed) generates the load; above it, a call costs the server so much
#: that the asyncio generator's share is negligible, and its request limit lets every call finish inside the
#: CPU reading (wrk stops on time, leaving calls in flight that the server still computes).
WRK_MAX_RESULTS = 1_000


def _load(server: Server, body: bytes, concurrency: int, seconds: float, results: int) -> LoadResult:
    if wrk_available() and results <= WRK_MAX_RESULTS:
        return run_wrk(server, PATH, body, concurrency, seconds, results)
    return run_load(server, PATH, body, concurrency, seconds, _limit(results), results)


def _http(seconds: float, rounds: int) -> list[LoadResult]:
    """Per patient size, `rounds` rounds of service, floor and edge back to back at concurrency 16 (the first
    round also at the plan's latency levels): the machine's speed drifts between minutes (the floor at 1,000
    results measured 9.8 and 17.2 ms per call in two runs), so a ratio compares runs of one round, and the
    targets take the median over rounds."""
    out: list[LoadResult] = []
    for results, levels in HTTP_PLAN:
        body = hook_request_bytes(results)
        for index in range(rounds):
            for name in ("service", "floor", "edge"):
                with running(name) as server:
                    for concurrency in levels if name != "edge" and index == 0 else (CPU_CONCURRENCY,):
                        run = _load(server, body, concurrency, seconds, results)
                        out.append(dataclasses.replace(run, round=index))
    return out


def _workers(seconds: float, pairs: int) -> list[LoadResult]:
    """Throughput of the service with 1 and with 2 worker processes, in alternating pairs (1, 2, 1, 2, …).

    Why pairs: on a shared virtual machine the speed of the same run drifts by ±20% within minutes (measured
    here: one worker at 113 and at 138 calls/s ten minutes apart), so each 2-worker run is compared with the
    1-worker run just before it, and the report takes the median of the pairs' ratios.
    """
    if not serve_supports_workers():
        return []
    body = hook_request_bytes(HTTP_RESULTS)
    out: list[LoadResult] = []
    for _ in range(pairs):
        for workers in (1, 2):
            with running("service", workers=workers) as server:
                out.append(_load(server, body, CPU_CONCURRENCY, seconds, HTTP_RESULTS))
    return out


def _scaling(runs: list[LoadResult]) -> list[float]:
    """req/s with 2 workers over req/s with 1, per pair."""
    return [_ratio(two.rps, one.rps) for one, two in zip(runs[::2], runs[1::2], strict=True)]


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"


def _stage_table(stages: list[StageTimes]) -> list[str]:
    head = (
        "| results | body KiB | runs | " + " | ".join(f"{s} ms" for s in STAGES) + " | total ms | µs/result | cards |"
    )
    lines = [head, "|" + "---:|" * (len(STAGES) + 6)]
    for t in stages:
        cells = [_ms(t.seconds[s]) for s in STAGES]
        label = f"{t.results:,}" + chart_label(t.problems)
        row = [label, f"{t.body_bytes / 1024:.0f}", str(t.repeats), *cells, _ms(t.total)]
        lines.append("| " + " | ".join([*row, f"{t.per_result_us:.1f}", str(t.cards)]) + " |")
    return lines


def _floor_of(runs: list[LoadResult], r: LoadResult) -> LoadResult | None:
    return next(
        (
            f
            for f in runs
            if f.target == "floor" and f.results == r.results and f.concurrency == r.concurrency and f.round == r.round
        ),
        None,
    )


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def _http_table(runs: list[LoadResult]) -> list[str]:
    lines = [
        "| round | target | results | conc. | requests | req/s | p50 ms | p99 ms | non-2xx | errors "
        "| server CPU ms/call | × floor CPU (same round) | × floor req/s |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        f = _floor_of(runs, r)
        cpu_ratio = _ratio(r.cpu_ms_per_call, f.cpu_ms_per_call) if f else float("nan")
        rps_ratio = _ratio(r.rps, f.rps) if f else float("nan")
        lines.append(
            f"| {r.round + 1} | {r.target} | {r.results:,} | {r.concurrency} | {r.requests:,} | {r.rps:.0f} "
            f"| {r.p50_ms:.1f} "
            f"| {r.p99_ms:.1f} | {r.non_2xx} | {r.errors} | {r.cpu_ms_per_call:.2f} | {cpu_ratio:.2f} "
            f"| {rps_ratio:.2f} |"
        )
    return lines


def _median_cpu(runs: list[LoadResult], target: str, results: int) -> float:
    """Median server CPU per call of `target` over the rounds, at concurrency 16."""
    values = [
        r.cpu_ms_per_call
        for r in runs
        if r.target == target and r.results == results and r.concurrency == CPU_CONCURRENCY
    ]
    return statistics.median(values) if values else float("nan")


def _split_table(runs: list[LoadResult]) -> list[str]:
    """Where the service's CPU per call goes: the floor, our HTTP edge on top of it, the clinical pipeline
    (medians over the rounds)."""
    lines = [
        "| results | floor ms | edge ms (service without its pipeline) | pipeline ms (service − edge) "
        "| service ms | edge × floor |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for results, _ in HTTP_PLAN:
        floor, edge, service = (_median_cpu(runs, t, results) for t in ("floor", "edge", "service"))
        lines.append(
            f"| {results:,} | {floor:.2f} | {edge:.2f} | {service - edge:.2f} | {service:.2f} "
            f"| {_ratio(edge, floor):.2f} |"
        )
    return lines


def _cpu_ratios(runs: list[LoadResult], results: int) -> list[float]:
    """Service CPU per call over the floor's, per round, at concurrency 16."""
    out = []
    for r in runs:
        if r.target == "service" and r.results == results and r.concurrency == CPU_CONCURRENCY:
            floor = _floor_of(runs, r)
            if floor is not None:
                out.append(_ratio(r.cpu_ms_per_call, floor.cpu_ms_per_call))
    return out


def _workers_table(runs: list[LoadResult]) -> list[str]:
    if not runs:
        return ["`cml-cds serve --workers` does not exist in this build (issue #13 adds it): pending."]
    lines = [
        "| pair | workers | requests | req/s | × 1 worker (same pair) | p50 ms | p99 ms "
        "| server CPU ms/call (all processes) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for index, r in enumerate(runs):
        one = runs[index - index % 2]
        lines.append(
            f"| {index // 2 + 1} | {r.workers} | {r.requests:,} | {r.rps:.0f} | {_ratio(r.rps, one.rps):.2f} "
            f"| {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.cpu_ms_per_call:.2f} |"
        )
    return lines


def _service_run(runs: list[LoadResult], results: int, concurrency: int) -> LoadResult:
    return next(r for r in runs if r.target == "service" and r.results == results and r.concurrency == concurrency)


def _targets(stages: list[StageTimes], runs: list[LoadResult], workers: list[LoadResult]) -> list[str]:
    by_size = {t.results: t for t in stages if not any(t.problems)}
    flatness = by_size[10_000].per_result_us / by_size[10].per_result_us

    def cpu_ratio(results: int) -> float:
        ratios = _cpu_ratios(runs, results)
        return statistics.median(ratios) if ratios else float("nan")

    def each(results: int) -> str:
        return ", ".join(f"{r:.2f}" for r in _cpu_ratios(runs, results))

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    big = _median_cpu(runs, "service", 10_000) / 1e3
    at64 = _service_run(runs, HTTP_RESULTS, 64)
    ratios = _scaling(workers)
    scaling = statistics.median(ratios) if ratios else None
    lines = [
        "| target | measured | |",
        "|---|---|---|",
        f"| server CPU per call, 60 results, ≤ 3× floor (concurrency {CPU_CONCURRENCY}; rounds: {each(60)}) "
        f"| {cpu_ratio(60):.2f}× "
        f"| {verdict(cpu_ratio(60) <= 3)} |",
        f"| server CPU per call, 1,000 results, ≤ 2× floor (concurrency {CPU_CONCURRENCY}; rounds: {each(1_000)}) "
        f"| {cpu_ratio(1_000):.2f}× "
        f"| {verdict(cpu_ratio(1_000) <= 2)} |",
        f"| 10,000-result patient < 0.3 s server CPU per call over HTTP | {big:.3f} s | {verdict(big < 0.3)} |",
        f"| cost per result flat from 10 to 10,000 (in-process µs/result, 10,000 vs 10) | {flatness:.2f}× "
        f"| {verdict(flatness <= 2.0)} |",
        f"| p99 beside p50 at concurrency 64, {HTTP_RESULTS} results "
        f"| p50 {at64.p50_ms:.0f} ms, p99 {at64.p99_ms:.0f} ms | reported |",
        f"| 0 non-2xx at concurrency 64 | {at64.non_2xx + at64.errors} | {verdict(at64.non_2xx + at64.errors == 0)} |",
    ]
    if scaling is None:
        lines.append("| throughput ≥ 1.7× with `--workers 2` vs 1 | no `--workers` option yet | pending |")
    else:
        pairs = ", ".join(f"{r:.2f}" for r in ratios)
        lines.append(
            f"| throughput ≥ 1.7× with `--workers 2` vs 1 (median of {len(ratios)} alternating pairs: {pairs}) "
            f"| {scaling:.2f}× | {verdict(scaling >= 1.7)} |"
        )
    return lines


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
    stages.append(time_stages(CHART[0], stage_budget, max_repeats=200, problems=CHART[1]))
    runs = _http(http_seconds, rounds=1 if quick else 3)
    workers = _workers(http_seconds, pairs=1 if quick else 3)
    fallback = time_fallback(HTTP_RESULTS, calls=5 if quick else 20)
    overload = run_overload(seconds=5.0 if quick else SECONDS)
    report = [
        f"# cml-cds benchmark ({'quick' if quick else 'full'}), {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine['nproc']} × {machine['cpu']}, Python {machine['python']}. "
        "Load generator and server share the machine; server CPU is read from /proc/<pid>/stat. "
        + (
            f"Load generator: wrk up to {WRK_MAX_RESULTS:,} results, the asyncio/httpx one above."
            if wrk_available()
            else "Load generator: asyncio/httpx (install Debian's `wrk` for a generator that takes less CPU)."
        ),
        "",
        "## In-process, per hook call, by stage (median)",
        "",
        *_stage_table(stages),
        "",
        "## HTTP on 127.0.0.1; floor = bare FastAPI parsing the same body, fixed card, same run",
        "",
        *_http_table(runs),
        "",
        f"## Server CPU per call by part, concurrency {CPU_CONCURRENCY}: floor, edge (bench/edge_app.py), pipeline",
        "",
        *_split_table(runs),
        "",
        f"## Throughput by worker processes, {HTTP_RESULTS}-result patient, concurrency {CPU_CONCURRENCY}",
        "",
        *_workers_table(workers),
        "",
        f"## Prefetch fallback, {HTTP_RESULTS}-result patient: cml-cds serve reading a real FHIR server "
        "(sekmet-fhir, bearer auth) on 127.0.0.1, median wall time",
        "",
        *_fallback_table(fallback),
        "",
        f"## Overload (issue #25): one worker, {CONCURRENCY:,} callers for {overload.seconds:.0f} s, each giving up "
        f"after {CLIENT_TIMEOUT:.0f} s and honouring `Retry-After` (bench/overload.py)",
        "",
        *overload_table(overload),
        "",
        "## Targets (reported, not asserted)",
        "",
        *_targets(stages, runs, workers),
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
        "workers": [asdict(r) | {"rps": r.rps, "cpu_ms_per_call": r.cpu_ms_per_call} for r in workers],
        "fallback": asdict(fallback),
        "overload": asdict(overload),
    }
    (RESULTS_DIR / "latest.json").write_text(json.dumps(data, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
