"""Start a real FHIR R4 server (``sekmet-fhir==0.1.1``): for the integration tests and for ``make demo``.

Why a real server instead of mocked HTTP: the CDS Hooks service talks FHIR REST (searches with
``patient``/``code``/``_sort``/``_count``, ``next`` paging links, bearer auth). A mock only proves we
agree with ourselves; a real server catches wrong query syntax, auth headers and paging bugs.

Why a separate virtualenv: sekmet-fhir pins its own FastAPI/uvicorn/pydantic/httpx stack. Installing it
into the project's ``.venv`` would let it silently change the versions the service is tested with, so it
lives in its own venv (``$SEKMET_VENV`` or ``<repo>/.cache/sekmet-venv``; ``.cache/`` must be gitignored)
and runs as a subprocess.

Facts about sekmet-fhir 0.1.1 this module relies on (read from its source, verified by
``tests/test_fhir_server_fixture.py``):

* console script ``sekmet``; start with ``sekmet serve --config <file>``; one uvicorn process, no children;
* the config file is YAML (``yaml.safe_load``; JSON is valid YAML, so we write JSON) with top-level keys
  ``host``, ``port``, ``base_url``, ``data_dir``, ``simulator.enabled``, ``server_auth.types/tokens``,
  ``validation.inbound`` (``strict``|``warn``|``off``; structural validation against fhir.resources R4B);
* the FHIR API is mounted at ``/fhir`` (hard-coded); ``base_url`` only drives the absolute URLs the server
  writes into ``fullUrl``, ``Location`` and Bundle ``link`` entries, so it must carry the real port;
* env vars ``SEKMET_CONFIG``, ``SEKMET_BASE_URL``, ``SEKMET_DB``, ``SEKMET_PUBLIC_URL``, ``SEKMET_PORT``
  override the file, so they are removed from the child's environment;
* ``GET /fhir/metadata`` answers 200 without authentication, so it is the readiness probe.

Only the stdlib and httpx are used here, so the module imports in the project's own venv. The tests import
it through ``tests/fhir_server.py``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

SEKMET_REQUIREMENT = "sekmet-fhir==0.1.1"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VENV = REPO_ROOT / ".cache" / "sekmet-venv"
# Variables sekmet's load_settings() lets override the config file; a developer's shell must not leak them.
_SEKMET_ENV_OVERRIDES = ("SEKMET_CONFIG", "SEKMET_BASE_URL", "SEKMET_DB", "SEKMET_PUBLIC_URL", "SEKMET_PORT")
_INSTALL_MARKER = ".installed-" + SEKMET_REQUIREMENT.replace("==", "-")
FHIR_JSON = "application/fhir+json"

_cached_console: Path | None = None


class FhirServerError(RuntimeError):
    """The FHIR server could not be installed or started, or rejected a fixture write."""


def _venv_dir() -> Path:
    """Where the dedicated venv lives: ``$SEKMET_VENV`` wins so CI can cache it elsewhere."""
    env = os.environ.get("SEKMET_VENV")
    return Path(env).expanduser().resolve() if env else DEFAULT_VENV


def _bin_dir(venv_dir: Path) -> Path:
    return venv_dir / ("Scripts" if os.name == "nt" else "bin")


def sekmet_installed() -> bool:
    """Whether the dedicated venv is complete (so a caller can say that a first install is about to start)."""
    venv_dir = _venv_dir()
    return (venv_dir / _INSTALL_MARKER).exists() and (_bin_dir(venv_dir) / "sekmet").exists()


def ensure_sekmet_installed() -> Path:
    """Create (once) the dedicated venv with sekmet-fhir and return the path of its ``sekmet`` script.

    The result is cached in-process, and on disk by a marker file written only after pip succeeded, so
    an interrupted install is retried instead of being mistaken for a good one. A file lock serialises
    concurrent installers (e.g. pytest-xdist workers).
    """
    global _cached_console
    if _cached_console is not None:
        return _cached_console
    venv_dir = _venv_dir()
    console = _bin_dir(venv_dir) / "sekmet"
    marker = venv_dir / _INSTALL_MARKER
    venv_dir.parent.mkdir(parents=True, exist_ok=True)
    lock_path = venv_dir.parent / (venv_dir.name + ".lock")
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (marker.exists() and console.exists()):
                _install(venv_dir)
                if not console.exists():
                    raise FhirServerError(f"{SEKMET_REQUIREMENT} installed but {console} is missing")
                marker.write_text(SEKMET_REQUIREMENT + "\n")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    _cached_console = console
    return console


def _install(venv_dir: Path) -> None:
    """pip-install sekmet-fhir into ``venv_dir`` (created if needed), raising with pip's output on failure."""
    python = _bin_dir(venv_dir) / "python"
    if not python.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    cmd = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet", SEKMET_REQUIREMENT]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise FhirServerError(
            f"`{' '.join(cmd)}` failed with exit code {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )


def _free_port() -> int:
    """Ask the OS for a free port on 127.0.0.1.

    There is a tiny race until sekmet binds it; running_fhir_server retries start-up on a new port.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class FhirServer:
    """Handle on a running sekmet server: where it is, the token it accepts, and fixture loading."""

    base_url: str  # e.g. "http://127.0.0.1:43817/fhir" (no trailing slash)
    token: str
    process: subprocess.Popen[bytes]
    workdir: Path  # temporary folder holding settings.yaml, data/ and server.log
    _client: httpx.Client = field(repr=False)

    @property
    def auth_headers(self) -> dict[str, str]:
        """Headers an authorised FHIR client sends."""
        return {"Authorization": f"Bearer {self.token}", "Accept": FHIR_JSON}

    def put(self, resource: dict[str, Any]) -> None:
        """Create/replace ``resource`` at ``{base}/{resourceType}/{id}``; raise with the answer on non-2xx.

        The server enforces structural validation (strict mode by default), so a malformed fixture fails
        here, loudly, instead of silently missing from later searches.
        """
        rtype, rid = resource.get("resourceType"), resource.get("id")
        if not rtype or not rid:
            raise ValueError(f"fixture needs resourceType and id for PUT, got {rtype!r}/{rid!r}")
        url = f"{self.base_url}/{rtype}/{rid}"
        resp = self._client.put(url, content=json.dumps(resource), headers={"Content-Type": FHIR_JSON})
        if not resp.is_success:
            raise FhirServerError(f"PUT {url} -> {resp.status_code}: {resp.text[:2000]}")

    def put_all(self, resources: Iterable[dict[str, Any]]) -> None:
        """PUT every resource in order (the server has no referential-integrity checks, so order is free)."""
        for resource in resources:
            self.put(resource)

    def log_text(self) -> str:
        """Server stdout+stderr so far (uvicorn access log and tracebacks), for debugging failed tests."""
        return _read_log(self.workdir / "server.log")


def _read_log(path: Path, limit: int = 8000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return "<no server log>"


def _write_config(
    workdir: Path,
    port: int,
    token: str,
    validation: str,
    public_url: str | None = None,
    announced_url: str | None = None,
    smart_clients: list[dict[str, Any]] | None = None,
) -> Path:
    """Write sekmet's settings file. It is YAML-parsed; JSON is a YAML subset, so json.dumps is exact."""
    settings: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "base_url": announced_url or f"http://127.0.0.1:{port}/fhir",
        "data_dir": str(workdir / "data"),
        # The simulator would react to MedicationRequest/ServiceRequest/... writes by creating resources.
        "simulator": {"enabled": False},
        # Only the static bearer token: without "none" in types every /fhir call except metadata needs it.
        "server_auth": {"types": ["bearer"], "tokens": [token]},
        "validation": {"inbound": validation},
        # Keys the server might look for stay inside the temp folder.
        "own_private_key_path": str(workdir / "keys" / "sekmet_private.pem"),
    }
    if public_url:  # its /.well-known/smart-configuration then names {public_url}/auth/authorize and /auth/token
        settings["public_url"] = public_url
    if smart_clients:  # SMART Backend Services clients (client_credentials + private_key_jwt) beside the static token
        settings["server_auth"] = {"types": ["bearer", "smart"], "tokens": [token], "smart_clients": smart_clients}
    path = workdir / "settings.yaml"
    path.write_text(json.dumps(settings, indent=2))
    return path


def _stop(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM (uvicorn shuts down cleanly in ~2 s), then SIGKILL if it is still alive after ``grace``."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _start(
    console: Path,
    workdir: Path,
    token: str,
    validation: str,
    timeout: float,
    public_url: str | None = None,
    announced_url: str | None = None,
    smart_clients: list[dict[str, Any]] | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start one server on a fresh port and wait for /metadata.

    Raises FhirServerError with the server's log if it exits or does not answer in ``timeout`` seconds.
    """
    port = _free_port()
    config = _write_config(workdir, port, token, validation, public_url, announced_url, smart_clients)
    base_url = f"http://127.0.0.1:{port}/fhir"
    env = {k: v for k, v in os.environ.items() if k not in _SEKMET_ENV_OVERRIDES}
    env["PYTHONUNBUFFERED"] = "1"
    env["NO_COLOR"] = "1"  # plain-text tracebacks in the log we attach to errors
    log_path = workdir / "server.log"
    with open(log_path, "ab") as log:  # a file, not a pipe: a full pipe buffer would block the server
        proc = subprocess.Popen(
            [str(console), "serve", "--config", str(config)],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + timeout
    last_error = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise FhirServerError(
                f"sekmet exited with code {proc.returncode} during start-up on port {port}; log:\n{_read_log(log_path)}"
            )
        try:
            if httpx.get(f"{base_url}/metadata", timeout=2.0, trust_env=False).status_code == 200:
                return proc, base_url
        except httpx.HTTPError as e:
            last_error = repr(e)
        time.sleep(0.1)
    _stop(proc, grace=3.0)
    raise FhirServerError(
        f"sekmet did not answer {base_url}/metadata within {timeout:.0f}s (last error: {last_error}); "
        f"log:\n{_read_log(log_path)}"
    )


@contextlib.contextmanager
def running_fhir_server(
    token: str,
    *,
    validation: Literal["strict", "warn", "off"] = "strict",
    startup_timeout: float = 30.0,
    stop_grace: float = 5.0,
    public_url: str | None = None,
    announced_url: str | None = None,
    smart_clients: list[dict[str, Any]] | None = None,
) -> Iterator[FhirServer]:
    """Run an empty sekmet FHIR R4 server on 127.0.0.1 for the duration of the ``with`` block.

    Each call gets its own temporary folder (config + SQLite data dir), so servers never share state.
    ``validation`` is sekmet's inbound structural check (R4B models): keep ``strict`` so bad fixtures
    fail on PUT; use ``warn``/``off`` for deliberately odd data. ``public_url`` points the server's SMART
    configuration at another authorization server (tests/smart_app). ``announced_url`` is the base URL the
    server writes into ``fullUrl``, ``Location`` and paging links when clients reach it through a proxy (the
    demo's EHR front, ``demo/ehr.py``); ``FhirServer.base_url`` stays the direct address. ``smart_clients``
    registers SMART Backend Services clients (``{client_id, jwks, scopes}``) with sekmet's own token endpoint
    (tests/worklist). Start-up is retried
    on a new port (the free-port pick can race with another process), then fails with the server log.
    """
    if not token:
        raise ValueError("token must be non-empty")
    console = ensure_sekmet_installed()
    with tempfile.TemporaryDirectory(prefix="sekmet-fhir-") as tmp:
        workdir = Path(tmp)
        proc: subprocess.Popen[bytes] | None = None
        base_url = ""
        errors: list[str] = []
        for _attempt in range(3):
            try:
                proc, base_url = _start(
                    console, workdir, token, validation, startup_timeout, public_url, announced_url, smart_clients
                )
                break
            except FhirServerError as e:
                errors.append(str(e))
                if "address already in use" not in str(e).lower():
                    raise
                shutil.rmtree(workdir / "data", ignore_errors=True)
        if proc is None:
            raise FhirServerError("sekmet failed to start 3 times:\n" + "\n---\n".join(errors))
        # trust_env=False: a developer's HTTP(S)_PROXY must not capture calls to 127.0.0.1.
        client = httpx.Client(
            headers={"Authorization": f"Bearer {token}", "Accept": FHIR_JSON}, timeout=30.0, trust_env=False
        )
        try:
            yield FhirServer(base_url=base_url, token=token, process=proc, workdir=workdir, _client=client)
        finally:
            client.close()
            _stop(proc, grace=stop_grace)


__all__ = [
    "SEKMET_REQUIREMENT",
    "FhirServer",
    "FhirServerError",
    "ensure_sekmet_installed",
    "running_fhir_server",
    "sekmet_installed",
]


if __name__ == "__main__":  # manual smoke run: python -m demo.fhir_server
    with running_fhir_server("dev-token") as srv:
        print(f"sekmet running at {srv.base_url} (token dev-token); Ctrl-C to stop", file=sys.stderr)
        with contextlib.suppress(KeyboardInterrupt):
            srv.process.wait()
