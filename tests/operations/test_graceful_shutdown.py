"""Issue #25, item 1: SIGTERM lets the calls in flight finish within the graceful timeout, then the server exits
— also when a call would take longer (its work is cancelled), with one worker and with two."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.builders import hook_request
from tests.service_replica import Replica

CALL = "/cds-services/cml-tki-resistance"


class _SlowFhir(BaseHTTPRequestHandler):
    """A FHIR server that answers every search with an empty Bundle after `delay` seconds."""

    delay = 0.0

    def do_GET(self) -> None:
        time.sleep(self.delay)
        body = json.dumps({"resourceType": "Bundle", "type": "searchset", "entry": []}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the service went away first

    def log_message(self, format: str, *args: object) -> None:
        pass


def _slow_fhir(delay: float) -> Iterator[str]:
    handler = type("Handler", (_SlowFhir,), {"delay": delay})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/fhir"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fhir_2s() -> Iterator[str]:
    yield from _slow_fhir(2.0)


@pytest.fixture
def fhir_60s() -> Iterator[str]:
    yield from _slow_fhir(60.0)


def _request(fhir_server: str) -> dict[str, object]:
    request = hook_request(fhirServer=fhir_server)
    del request["prefetch"]["medicationRequests"]  # optional: read from the (slow) fhirServer
    return request


def _call(replica: Replica, fhir_server: str, pool: ThreadPoolExecutor) -> Future[int]:
    def post() -> int:
        response = httpx.post(f"{replica.base_url}{CALL}", json=_request(fhir_server), timeout=90, trust_env=False)
        return response.status_code

    return pool.submit(post)


def _serve(tmp_path: Path, workers: str, **env: str) -> Replica:
    replica = Replica(
        tmp_path,
        {"CMLCDS_DATABASE_PATH": str(tmp_path / "db" / "d.sqlite3"), **env},
        ["--workers", workers],
    )
    replica.wait_ready()
    return replica


def _stop_seconds(replica: Replica, timeout: float) -> float:
    started = time.monotonic()
    replica.process.send_signal(signal.SIGTERM)
    try:
        replica.process.wait(timeout=timeout)
    except Exception:
        replica.kill()
        raise AssertionError(f"cml-cds still running {timeout:.0f} s after SIGTERM:\n{replica.log()}") from None
    return time.monotonic() - started


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_answers_the_call_in_flight_then_exits(tmp_path: Path, fhir_2s: str, workers: str) -> None:
    replica = _serve(tmp_path, workers)
    try:
        with ThreadPoolExecutor(1) as pool:
            answer = _call(replica, fhir_2s, pool)
            time.sleep(0.7)  # the call is waiting for the FHIR server
            seconds = _stop_seconds(replica, timeout=15)
            assert answer.result(timeout=10) == 200
    finally:
        replica.kill()
    # one worker: uvicorn ends by re-raising the SIGTERM it handled; the supervisor of two exits 0
    assert replica.process.returncode == (0 if workers == "2" else -signal.SIGTERM), replica.log()
    assert seconds >= 1.0  # it waited for the call


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_cancels_a_call_past_the_graceful_timeout_and_exits(
    tmp_path: Path, fhir_60s: str, workers: str
) -> None:
    """A call that would take a minute (its FHIR server answers after 60 s) does not hold the shutdown: after
    the graceful timeout (2 s here) the call is cancelled and the process exits."""
    replica = _serve(
        tmp_path,
        workers,
        CMLCDS_GRACEFUL_TIMEOUT_SECONDS="2",
        CMLCDS_FHIR_TIMEOUT_SECONDS="120",
        CMLCDS_FHIR_TOTAL_BUDGET_SECONDS="120",
    )
    try:
        with ThreadPoolExecutor(1) as pool:
            answer = _call(replica, fhir_60s, pool)
            time.sleep(0.7)
            seconds = _stop_seconds(replica, timeout=15)
            try:
                status: int | None = answer.result(timeout=10)
            except httpx.HTTPError:
                status = None  # the connection closed without an answer
    finally:
        replica.kill()
    assert seconds < 8, seconds
    assert status is None or status >= 500, status
