"""Run the real service (`cml-cds serve`, i.e. uvicorn) as a subprocess on a free 127.0.0.1 port.

Why a subprocess instead of the ASGI app in-process: third-party clients and schemathesis should see
exactly what an EHR sees — real HTTP framing, headers, content-length, uvicorn's own error handling —
and the server's state (SQLite feedback store) should live in a temporary folder of its own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["RunningService", "ServiceStartError", "running_service"]


class ServiceStartError(RuntimeError):
    """The service did not answer discovery in time; the message carries its log."""


@dataclass(frozen=True)
class RunningService:
    base_url: str  # e.g. "http://127.0.0.1:41234" (no trailing slash)
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_text(self, limit: int = 8000) -> str:
        """The server's output so far, for assertion messages."""
        try:
            return self.log_path.read_text(errors="replace")[-limit:]
        except OSError:
            return "<no server log>"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _command(port: int) -> list[str]:
    """`cml-cds serve` from the venv running the tests (the console script the README documents)."""
    script = Path(sys.executable).parent / "cml-cds"
    head = [str(script)] if script.exists() else [sys.executable, "-m", "cds_hooks.cli"]
    return [*head, "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServiceStartError(f"cml-cds exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/cds-services", timeout=2.0, trust_env=False).status_code == 200:
                return
        time.sleep(0.1)
    _stop(proc)
    raise ServiceStartError(f"cml-cds did not answer {url}/cds-services in {timeout:.0f}s:\n{log_path.read_text()}")


@contextlib.contextmanager
def running_service(extra_env: Mapping[str, str] | None = None, *, timeout: float = 30.0) -> Iterator[RunningService]:
    """Start `cml-cds serve` with its SQLite file in a fresh temporary folder; stop it on exit."""
    folder = Path(tempfile.mkdtemp(prefix="cml-cds-service-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMLCDS_")}
    env |= {"CMLCDS_DATABASE_PATH": str(folder / "cml-cds.sqlite3"), "PYTHONUNBUFFERED": "1"}
    env |= dict(extra_env or {})
    log_path = folder / "server.log"
    proc: subprocess.Popen[bytes] | None = None
    try:
        for attempt in range(3):  # the free-port pick can race with another process
            port = _free_port()
            with open(log_path, "ab") as log:
                proc = subprocess.Popen(
                    _command(port), cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
                )
            try:
                _wait_ready(proc, f"http://127.0.0.1:{port}", log_path, timeout)
                break
            except ServiceStartError as exc:
                if attempt == 2 or "address already in use" not in str(exc).lower():
                    raise
        assert proc is not None
        yield RunningService(base_url=f"http://127.0.0.1:{port}", process=proc, log_path=log_path)
    finally:
        if proc is not None:
            _stop(proc)
        shutil.rmtree(folder, ignore_errors=True)
