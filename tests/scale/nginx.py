"""A real nginx (Debian's) as the load balancer in front of replicas: its own config, prefix and logs in a
temporary folder, on a free loopback port; the system's nginx configuration and service are never used.

`proxy_next_upstream ... non_idempotent`: a POST whose replica died is passed to the next one. That is
safe here because feedback is idempotent (stored once however often it arrives) and a hook call only
reads; the one visible effect is that a JWT the dead replica already recorded is refused (401) by the
next — which is the replay protection working.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

from tests.debian_tools import find_nginx
from tests.service_replica import free_port

__all__ = ["Nginx", "running_nginx"]

_CONFIG = """
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/tmp/body;
    proxy_temp_path {folder}/tmp/proxy;
    fastcgi_temp_path {folder}/tmp/fastcgi;
    uwsgi_temp_path {folder}/tmp/uwsgi;
    scgi_temp_path {folder}/tmp/scgi;
    upstream cmlcds {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 32m;
        location / {{
            proxy_pass http://cmlcds;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_connect_timeout 2s;
            proxy_read_timeout 30s;
            proxy_next_upstream error timeout http_502 non_idempotent;
            proxy_next_upstream_tries 3;
        }}
    }}
}}
"""


class Nginx:
    def __init__(self, folder: Path, upstreams: Sequence[str], port: int | None = None) -> None:
        self.binary = find_nginx()
        self.folder = folder
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        (folder / "tmp").mkdir()
        os.chmod(folder, 0o755)  # noqa: S103 - nginx workers drop to `nobody` when started as root
        os.chmod(folder / "tmp", 0o777)  # noqa: S103 - a throw-away temp folder nginx's workers write to
        servers = "\n".join(f"        server {u} max_fails=1 fail_timeout=30s;" for u in upstreams)
        (folder / "nginx.conf").write_text(_CONFIG.format(folder=folder, servers=servers, port=self.port))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> None:
        command = [str(self.binary), "-p", str(self.folder), "-c", str(self.folder / "nginx.conf")]
        command += ["-e", str(self.folder / "error.log")]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.process.returncode}:\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/healthz", timeout=2.0, trust_env=False).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"nginx did not answer in {timeout:.0f} s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT)  # graceful
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        try:
            return (self.folder / "error.log").read_text(errors="replace")[-4000:]
        except OSError:
            return "<no log>"


@contextlib.contextmanager
def running_nginx(upstreams: Sequence[str], port: int | None = None) -> Iterator[Nginx]:
    folder = Path(tempfile.mkdtemp(prefix="cml-cds-nginx-"))
    try:
        nginx = Nginx(folder, upstreams, port)
        nginx.start()
        try:
            yield nginx
        finally:
            nginx.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
