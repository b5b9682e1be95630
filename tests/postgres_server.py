"""A real PostgreSQL for tests: initdb + postgres in a temporary folder on a free loopback port.

Run as its own unprivileged user when the tests run as root (CI does; postgres refuses to run as root):
the folder is given to `nobody`, and the server processes drop to it. The Debian package's own cluster
(`/var/lib/postgresql`) is never used, started or needed. Durability settings are off: these are
throw-away databases, and the tests are about constraints and concurrency, not crash safety.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

from tests.debian_tools import find_postgres_bin

__all__ = ["PostgresServer", "running_postgres"]

USER = "cmlcds"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    def __init__(self, folder: Path) -> None:
        self.bin = find_postgres_bin()
        self.folder = folder
        self.data = folder / "data"
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._user: dict[str, Any] = {}
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(folder, nobody.pw_uid, nobody.pw_gid)
            self._user = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
        subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
            **self._user,
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def start(self, timeout: float = 30.0) -> None:
        log = open(self.folder / "postgres.log", "ab")  # noqa: SIM115 - kept open for the server's lifetime
        self.process = subprocess.Popen(
            [
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.folder),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            **self._user,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited:\n{self.log()}")
            with contextlib.suppress(psycopg.OperationalError):
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            time.sleep(0.1)
        raise RuntimeError(f"postgres did not accept connections in {timeout:.0f} s:\n{self.log()}")

    def stop(self) -> None:
        """Fast shutdown (SIGINT): open connections are cut, as when a managed database fails over."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(2)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        name = "t_" + secrets.token_hex(6)
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def log(self) -> str:
        try:
            return (self.folder / "postgres.log").read_text(errors="replace")[-4000:]
        except OSError:
            return "<no log>"


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    folder = Path(tempfile.mkdtemp(prefix="cml-cds-pg-"))
    try:
        server = PostgresServer(folder)
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
