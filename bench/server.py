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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["Server", "cpu_seconds", "running"]

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Server:
    name: str
    base_url: str
    pid: int


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (fields 14 and 15 of /proc/<pid>/stat), in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may contain spaces
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _command(name: str, port: int) -> list[str]:
    common = ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    if name == "floor":
        return [sys.executable, "-m", "uvicorn", "bench.floor_app:app", "--no-access-log", *common]
    return [sys.executable, "-m", "cds_hooks.cli", "serve", *common]


@contextlib.contextmanager
def running(name: str, probe_path: str = "/cds-services/x", timeout: float = 30.0) -> Iterator[Server]:
    """`name` is "service" (cml-cds serve) or "floor" (bench/floor_app.py). Stopped on exit."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as folder:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CMLCDS_")}
        env |= {"CMLCDS_DATABASE_PATH": str(Path(folder) / "bench.sqlite3"), "PYTHONPATH": str(root)}
        log = open(Path(folder) / "server.log", "wb")  # noqa: SIM115 - closed below, after the process
        proc = subprocess.Popen(_command(name, port), cwd=root, env=env, stdout=log, stderr=log)
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
            yield Server(name=name, base_url=base, pid=proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
