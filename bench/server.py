"""Start the service or the floor app as a uvicorn subprocess on 127.0.0.1, and read its CPU time.

CPU time comes from /proc/<pid>/stat (utime + stime of the server process), read before and after a
load run, so "server CPU per call" excludes the load generator that shares the two cores.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["CHECKOUT", "Server", "cpu_seconds", "running", "serve_supports_workers"]

_TICKS = os.sysconf("SC_CLK_TCK")
#: This checkout: where a server runs from unless told otherwise.
CHECKOUT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Server:
    name: str
    base_url: str
    pid: int
    workers: int = 1


def _own_cpu(pid: int) -> float:
    """utime + stime of one process (fields 14 and 15 of /proc/<pid>/stat), in seconds."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0  # exited between listing and reading
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may contain spaces
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _descendants(pid: int) -> list[int]:
    """The process and its live children, recursively (uvicorn --workers N forks N worker processes)."""
    out = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children = [int(c) for c in task.read_text().split()]
        except OSError:
            continue
        for child in children:
            out += _descendants(child)
    return out


def cpu_seconds(pid: int) -> float:
    """CPU time of the server: its process and every live worker process it started."""
    return sum(_own_cpu(p) for p in _descendants(pid))


def serve_supports_workers() -> bool:
    """Whether `cml-cds serve` has a `--workers` option (added by issue #13); the bench then measures 2 vs 1."""
    probe = subprocess.run(
        [sys.executable, "-m", "cds_hooks.cli", "serve", "--help"], capture_output=True, text=True, check=False
    )
    return "--workers" in probe.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _command(name: str, port: int, workers: int) -> list[str]:
    common = ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    common += ["--workers", str(workers)] if workers > 1 else []
    if name in ("floor", "edge"):
        return [sys.executable, "-m", "uvicorn", f"bench.{name}_app:app", "--no-access-log", *common]
    return [sys.executable, "-m", "cds_hooks.cli", "serve", *common]


@contextlib.contextmanager
def running(
    name: str,
    probe_path: str = "/cds-services/x",
    timeout: float = 30.0,
    workers: int = 1,
    root: Path | None = None,
    wrapper: Sequence[str] = (),
    stop_timeout: float = 10.0,
) -> Iterator[Server]:
    """`name` is "service" (cml-cds serve), "floor" (bench/floor_app.py) or "edge" (bench/edge_app.py, the
    service without its pipeline), run from the checkout `root` (this one by default). Stopped on exit.

    `wrapper` goes before the command (e.g. valgrind, bench/instructions.py); such a server starts and stops
    slowly, hence `timeout` and `stop_timeout`. `pid` is then the wrapper's, which is the same process."""
    root = root or CHECKOUT
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as folder:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CMLCDS_")}
        env |= {"CMLCDS_DATABASE_PATH": str(Path(folder) / "bench.sqlite3"), "PYTHONPATH": str(root)}
        log = open(Path(folder) / "server.log", "wb")  # noqa: SIM115 - closed below, after the process
        proc = subprocess.Popen([*wrapper, *_command(name, port, workers)], cwd=root, env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start:\n{(Path(folder) / 'server.log').read_text()[-3000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    httpx.post(base + probe_path, content=b"{}", timeout=2.0, trust_env=False)
                    break
                time.sleep(0.1)
            if workers > 1:
                time.sleep(2.0)  # the first worker answered the probe; let the others start before measuring
            yield Server(name=name, base_url=base, pid=proc.pid, workers=workers)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=stop_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
