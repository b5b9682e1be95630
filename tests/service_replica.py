"""`cml-cds serve` as a subprocess with the arguments and environment a test chooses, ready when /healthz is 200.

Used for what needs real processes: several workers on one port, several replicas on one database.
The caller owns the folder (database, logs); `stop()` sends SIGTERM (graceful: the audit queue is drained),
`kill()` sends SIGKILL (a crashed node).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

__all__ = ["Replica", "free_port"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Replica:
    def __init__(self, folder: Path, env: Mapping[str, str], args: Sequence[str] = ()) -> None:
        self.folder = folder
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / f"replica-{self.port}.log"
        script = Path(sys.executable).parent / "cml-cds"
        command = [str(script), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("CMLCDS_", "PROMETHEUS_"))}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [*command, *args],
                cwd=folder,
                env=clean | {"PYTHONUNBUFFERED": "1"} | dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # its workers form a group: kill() ends them all, as a node crash would
            )

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"cml-cds exited with {self.process.returncode}:\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/readyz", timeout=2.0, trust_env=False).status_code == 200:
                    return
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"cml-cds not ready on {self.base_url} in {timeout:.0f} s:\n{self.log()}")

    def stop(self, timeout: float = 30.0) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL to the whole process group (the server and its workers)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-6000:]
        except OSError:
            return "<no log>"
