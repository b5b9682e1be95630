"""`python -m bench.hostile`: what one hostile caller costs everybody else (issue #10).

Two measurements against a real `cml-cds serve` subprocess on 127.0.0.1, each in the same run as a
normal call so the figures are ratios on this machine, not absolute promises:

* stall: discovery and a normal 60-result hook call are timed alone, then again while another client
  posts a 2,000,000-entry prefetch (9.5 MiB of `null`s) in a loop, and again while it posts a legitimate
  10,000-result patient in a loop. Target: well under a second.
* memory: the service reads a key from a local FHIR server that answers a 200 MiB Bundle. The service's
  RSS before, its peak (VmHWM) and after are read from /proc. Target: a few tens of MiB of growth.

Bounded: a fixed number of requests, each with a timeout. Prints Markdown; writes
bench/results/hostile.json.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from .patients import hook_request, hook_request_bytes
from .server import running

PATH = "/cds-services/cml-tki-resistance"
HOSTILE_ENTRIES = 2_000_000
ANSWER_MIB = 200
PROBES = 20
RESULTS = Path(__file__).resolve().parent / "results" / "hostile.json"
JSON_HEADERS = {"Content-Type": "application/json"}


def _hostile_body() -> bytes:
    request = hook_request(10)
    request["prefetch"]["conditions"] = {"resourceType": "Bundle", "entry": "__ENTRIES__"}
    text = json.dumps(request).replace('"__ENTRIES__"', "[" + ",".join(["null"] * HOSTILE_ENTRIES) + "]")
    return text.encode()


def _timed(client: httpx.Client, method: str, url: str, body: bytes | None = None) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.request(method, url, content=body, headers=JSON_HEADERS if body else None)
    return time.perf_counter() - started, response.status_code


def _probe(client: httpx.Client, base: str, normal: bytes) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"discovery": [], "hook": []}
    for _ in range(PROBES):
        seconds, status = _timed(client, "GET", base + "/cds-services")
        assert status == 200, status
        times["discovery"].append(seconds)
        seconds, status = _timed(client, "POST", base + PATH, normal)
        assert status == 200, status
        times["hook"].append(seconds)
    return times


def _summary(values: list[float]) -> dict[str, float]:
    return {"median_ms": statistics.median(values) * 1e3, "max_ms": max(values) * 1e3}


def stall(hostile: bytes) -> dict[str, Any]:
    """Probe latencies alone, then while `hostile` is posted in a loop by another client."""
    normal = hook_request_bytes(60)
    with running("service") as server, httpx.Client(timeout=60.0, trust_env=False) as client:
        _probe(client, server.base_url, normal)  # warm-up
        alone = _probe(client, server.base_url, normal)
        hostile_results: list[tuple[float, int]] = []
        stop = threading.Event()

        def attack() -> None:
            with httpx.Client(timeout=60.0, trust_env=False) as attacker:
                while not stop.is_set() and len(hostile_results) < 50:
                    hostile_results.append(_timed(attacker, "POST", server.base_url + PATH, hostile))

        thread = threading.Thread(target=attack)
        thread.start()
        time.sleep(0.2)
        try:
            during = _probe(client, server.base_url, normal)
        finally:
            stop.set()
            thread.join(timeout=120)
    return {
        "hostile_body_mib": len(hostile) / 2**20,
        "hostile_statuses": sorted({status for _, status in hostile_results}),
        "hostile_calls": len(hostile_results),
        "hostile_median_ms": statistics.median(s for s, _ in hostile_results) * 1e3 if hostile_results else None,
        "alone": {name: _summary(values) for name, values in alone.items()},
        "during": {name: _summary(values) for name, values in during.items()},
    }


class _HugeAnswer(BaseHTTPRequestHandler):
    """Any GET: a 200 MiB searchset Bundle, streamed without Content-Length."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/fhir+json")
        self.end_headers()
        chunk = b'{"resource":{"resourceType":"Observation","status":"final"}},' * 1000
        try:
            self.wfile.write(b'{"resourceType":"Bundle","type":"searchset","entry":[')
            for _ in range(ANSWER_MIB * 2**20 // len(chunk)):
                self.wfile.write(chunk)
            self.wfile.write(b'{"resource":{"resourceType":"Observation"}}]}')
        except (BrokenPipeError, ConnectionResetError):
            pass  # the service stopped reading at its cap: the point of the measurement

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def _huge_fhir_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HugeAnswer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/fhir"
    finally:
        server.shutdown()
        server.server_close()


def _memory_kib(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def memory() -> dict[str, Any]:
    normal = hook_request_bytes(60)
    with _huge_fhir_server() as fhir, running("service") as server, httpx.Client(timeout=60.0) as client:
        for _ in range(5):
            _timed(client, "POST", server.base_url + PATH, normal)  # warm-up: imports, caches
        request = hook_request(60)
        del request["prefetch"]["bcrAbl1"]
        request["fhirServer"] = fhir
        body = json.dumps(request).encode()
        before = _memory_kib(server.pid)
        calls = [_timed(client, "POST", server.base_url + PATH, body) for _ in range(3)]
        after = _memory_kib(server.pid)
        normal_seconds, normal_status = _timed(client, "POST", server.base_url + PATH, normal)
    return {
        "answer_mib": ANSWER_MIB,
        "statuses": [status for _, status in calls],
        "call_ms": [round(seconds * 1e3, 1) for seconds, _ in calls],
        "rss_before_mib": before["VmRSS"] / 1024,
        "peak_growth_mib": (after["VmHWM"] - before["VmRSS"]) / 1024,
        "rss_after_mib": after["VmRSS"] / 1024,
        "normal_call_after_ms": normal_seconds * 1e3,
        "normal_status_after": normal_status,
    }


def main() -> None:
    results = {
        "stall": stall(_hostile_body()),
        "stall_large_patient": stall(hook_request_bytes(10_000)),
        "memory": memory(),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    m = results["memory"]
    print("## Hostile callers (issue #10)\n")
    for key, title in (("stall", "2,000,000-entry prefetch"), ("stall_large_patient", "10,000-result patient")):
        s = results[key]
        print(f"While another client posts a {title} ({s['hostile_body_mib']:.1f} MiB) in a loop:")
        print(f"statuses {s['hostile_statuses']}, {s['hostile_calls']} calls, median {s['hostile_median_ms']:.0f} ms\n")
        print("| probe | alone median / max (ms) | during median / max (ms) |")
        print("|---|---|---|")
        for name in ("discovery", "hook"):
            a, d = s["alone"][name], s["during"][name]
            print(f"| {name} | {a['median_ms']:.1f} / {a['max_ms']:.1f} | {d['median_ms']:.1f} / {d['max_ms']:.1f} |")
        print()
    print(f"{m['answer_mib']} MiB FHIR answer, 3 calls: statuses {m['statuses']}, {m['call_ms']} ms;")
    print(
        f"service RSS {m['rss_before_mib']:.0f} MiB before, peak +{m['peak_growth_mib']:.0f} MiB,"
        f" {m['rss_after_mib']:.0f} MiB after; a normal call afterwards {m['normal_call_after_ms']:.0f} ms"
        f" ({m['normal_status_after']})"
    )


if __name__ == "__main__":
    main()
