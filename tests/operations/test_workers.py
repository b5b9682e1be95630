"""`cml-cds serve --workers 2`: two processes answer on one port, and /metrics adds up the counters of both
(prometheus multiprocess mode) — whichever worker answers the scrape.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path

import httpx
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.service_replica import Replica

EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "patient-view.json").read_bytes()
CALLS = 24
POOL = 48  # kept-alive connections opened together


def _calls_counted(text: str) -> float:
    for family in text_string_to_metric_families(text):
        if family.name == "cmlcds_hook_calls":
            return sum(s.value for s in family.samples if s.name.endswith("_total") and s.labels["status"] == "200")
    return 0.0


def _two_workers_with_metrics(tmp_path: Path) -> tuple[Replica, Path]:
    """`serve --workers 2`, each worker writing its Prometheus counters to the returned folder."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {
        "CMLCDS_DATABASE_PATH": str(tmp_path / "db" / "cml-cds.sqlite3"),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    return Replica(tmp_path, env, ["--workers", "2"]), metrics_dir


def test_two_workers_share_the_port_and_metrics_add_up_across_them(tmp_path: Path) -> None:
    replica, metrics_dir = _two_workers_with_metrics(tmp_path)
    try:
        replica.wait_ready()
        headers = {"Content-Type": "application/json"}
        for _ in range(CALLS):  # a new connection each time: the kernel spreads them over the workers
            response = httpx.post(
                f"{replica.base_url}/cds-services/cml-tki-resistance", content=EXAMPLE, headers=headers, trust_env=False
            )
            assert response.status_code == 200
        scrapes = [httpx.get(f"{replica.base_url}/metrics", trust_env=False).text for _ in range(4)]
        assert {_calls_counted(text) for text in scrapes} == {float(CALLS)}
        # a histogram file appears for a process when it observes a hook call: both workers served
        served = {m.group(1) for f in metrics_dir.iterdir() if (m := re.fullmatch(r"histogram_(\d+)\.db", f.name))}
        assert len(served) == 2, sorted(f.name for f in metrics_dir.iterdir())
    finally:
        replica.stop()
    assert replica.process.returncode == 0, replica.log()


def _calls_per_worker(metrics_dir: Path) -> dict[str, float]:
    """Hook calls answered, per worker process (prometheus-client writes one counter file per pid)."""
    out: dict[str, float] = {}
    for path in metrics_dir.glob("counter_*.db"):
        families = MultiProcessCollector.merge([str(path)], accumulate=True)  # type: ignore[no-untyped-call]
        samples = [s for f in families if f.name == "cmlcds_hook_calls" for s in f.samples]
        calls = sum(s.value for s in samples if s.name.endswith("_total"))
        if calls:  # the supervisor process has a file too, and answers nothing
            out[path.stem] = calls
    return out


def test_keep_alive_connections_opened_together_spread_over_the_workers(tmp_path: Path) -> None:
    """An EHR's connection pool (or nginx's upstream keepalive) opens its connections together and keeps them.

    Here the pool connects while both workers are stopped, as when they are busy. With one shared listening
    socket the worker that woke first accepted nearly every waiting connection (checked under uvicorn's own
    supervisor: 88 and 8 calls). With a socket per worker (SO_REUSEPORT, cds_hooks/workers.py) the
    kernel has already hashed each connection to a worker: of 48 connections, 2 calls each, each worker must
    hold at least 10. For a fair hash, 9 or fewer on one side happens once in about 65,000 runs (a binomial
    tail; with 16 connections and a fifth it was once in 60, too often for CI).
    """
    replica, metrics_dir = _two_workers_with_metrics(tmp_path)
    try:
        replica.wait_ready()
        url = f"{replica.base_url}/cds-services/cml-tki-resistance"
        _wait_until_both_workers_answer(url, metrics_dir)
        before = _calls_per_worker(metrics_dir)
        connections = [HTTPConnection("127.0.0.1", replica.port, timeout=60) for _ in range(POOL)]
        workers = _until_two_workers(replica.process.pid)
        for pid in workers:  # busy workers: the pool connects while neither can accept (SIGSTOP)
            os.kill(pid, signal.SIGSTOP)
        try:
            for connection in connections:  # the kernel completes each handshake; the connection waits
                connection.connect()
        finally:
            for pid in workers:
                os.kill(pid, signal.SIGCONT)
        with ThreadPoolExecutor(POOL) as threads:
            statuses = [s for batch in threads.map(_two_calls, connections) for s in batch]
        assert statuses == [200] * (2 * POOL)
        after = _calls_per_worker(metrics_dir)
        shares = [after[pid] - before.get(pid, 0.0) for pid in after]
        assert len(shares) == 2 and sum(shares) == 2 * POOL
        assert min(shares) >= 2 * 10, shares  # at least 10 connections (2 calls each) on each worker
    finally:
        replica.stop()
    assert replica.process.returncode == 0, replica.log()


def _two_calls(connection: HTTPConnection) -> list[int]:
    """Two calls on one kept-alive connection."""
    statuses = []
    for _ in range(2):
        connection.request("POST", "/cds-services/cml-tki-resistance", EXAMPLE, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        statuses.append(response.status)
    connection.close()
    return statuses


def _wait_until_both_workers_answer(url: str, metrics_dir: Path) -> None:
    """A worker listens once it has started; new connections reach every listening worker sooner or later.

    Returns once every call made here is counted: a worker counts a call just after answering it, so a count
    read at once could miss the last one and find it later among the calls the test then makes."""
    headers = {"Content-Type": "application/json"}
    for made in range(1, 201):
        assert httpx.post(url, content=EXAMPLE, headers=headers, trust_env=False).status_code == 200
        if len(_calls_per_worker(metrics_dir)) == 2:
            deadline = time.monotonic() + 10
            while sum(_calls_per_worker(metrics_dir).values()) < made and time.monotonic() < deadline:
                time.sleep(0.01)
            return
    raise AssertionError(f"only {sorted(_calls_per_worker(metrics_dir))} answered 200 calls on new connections")


def test_one_worker_exposes_its_own_counters(tmp_path: Path) -> None:
    replica = Replica(tmp_path, {"CMLCDS_DATABASE_PATH": str(tmp_path / "cml-cds.sqlite3")})
    try:
        replica.wait_ready()
        url = f"{replica.base_url}/cds-services/cml-tki-resistance"
        for _ in range(3):
            headers = {"Content-Type": "application/json"}
            assert httpx.post(url, content=EXAMPLE, headers=headers, trust_env=False).status_code == 200
        assert _calls_counted(httpx.get(f"{replica.base_url}/metrics", trust_env=False).text) == 3.0
    finally:
        replica.stop()


def _worker_pids(supervisor: int) -> set[int]:
    """The supervisor's live worker processes (multiprocessing's spawn children)."""
    pids = set()
    for child in Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split():
        with contextlib.suppress(OSError):  # a child that has just exited
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                pids.add(int(child))
    return pids


def _listening_sockets(port: int) -> set[str]:
    """The socket inodes listening on 127.0.0.1:`port` (/proc/net/tcp, state 0A)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":
            inodes.add(fields[9])
    return inodes


def _listens(pid: int, port: int) -> bool:
    """Whether process `pid` holds a socket listening on `port` (a worker past its start-up)."""
    listening = _listening_sockets(port)
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd).removeprefix("socket:[").removesuffix("]") in listening:
                    return True
    return False


def _until_listening(pids: set[int], port: int) -> None:
    """Wait until every worker listens: one that exists may still be starting, its socket bound, not listening."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(_listens(pid, port) for pid in pids):
        time.sleep(0.2)
    assert all(_listens(pid, port) for pid in pids), pids


def _until_two_workers(supervisor: int, gone: int | None = None) -> set[int]:
    deadline = time.monotonic() + 60
    pids = _worker_pids(supervisor)
    while time.monotonic() < deadline and len(pids - {gone}) < 2:
        time.sleep(0.2)
        pids = _worker_pids(supervisor)
    return pids


def test_a_worker_that_dies_is_replaced_and_the_port_keeps_answering(tmp_path: Path) -> None:
    replica = Replica(tmp_path, {"CMLCDS_DATABASE_PATH": str(tmp_path / "cml-cds.sqlite3")}, ["--workers", "2"])
    try:
        replica.wait_ready()
        first = _until_two_workers(replica.process.pid)
        assert len(first) == 2, first
        _until_listening(first, replica.port)  # else killing the one started worker leaves none listening
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        now = _until_two_workers(replica.process.pid, gone=victim)
        assert victim not in now and len(now) == 2, (first, now)
        _until_listening(now, replica.port)  # the replacement is serving, not only started
        url = f"{replica.base_url}/cds-services/cml-tki-resistance"
        headers = {"Content-Type": "application/json"}
        for _ in range(8):
            assert httpx.post(url, content=EXAMPLE, headers=headers, trust_env=False).status_code == 200
    finally:
        replica.stop()
    assert replica.process.returncode == 0, replica.log()


def test_sighup_stops_the_supervisor_and_its_workers(tmp_path: Path) -> None:
    """A closed terminal sends SIGHUP: the workers must not be left running on the port without their supervisor."""
    replica = Replica(tmp_path, {"CMLCDS_DATABASE_PATH": str(tmp_path / "cml-cds.sqlite3")}, ["--workers", "2"])
    try:
        replica.wait_ready()
        pids = _until_two_workers(replica.process.pid)
        replica.process.send_signal(signal.SIGHUP)
        assert replica.process.wait(timeout=60) == 0, replica.log()
        for pid in pids:  # stopped and reaped by the supervisor before it exited
            assert not Path(f"/proc/{pid}").exists()
    finally:
        replica.kill()
