"""`make demo` (`python -m demo`): a FHIR server with named patients, a SMART EHR launch and the service, on 127.0.0.1.

What runs, all started and stopped here:

1. sekmet-fhir (`demo/fhir_server.py`, its own venv under .cache/) on a free port, loaded with the patients of
   `demo/patients.py`, their courses dated to end today;
2. the demo EHR (`demo/ehr.py`, a thread of this process) on `--ehr-port`: the FHIR base URL clients use, the
   SMART authorization server and the Sandbox's launch-context endpoint;
3. `cml-cds serve` on `--port`, configured by environment variables: development mode (authentication off,
   so every http(s) fhirServer may be read — the demo's among them), the demo EHR as its one SMART client,
   CORS for the CDS Hooks Sandbox, a database and a log under `--workdir`.

When all three answer, it prints the URLs (and writes them as JSON to `--info-file`, for tests). SIGINT
(Ctrl-C) or SIGTERM stops the service, the EHR and sekmet, in that order, and waits for each.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from .ehr import DemoEhr
from .fhir_server import REPO_ROOT, SEKMET_REQUIREMENT, FhirServerError, running_fhir_server, sekmet_installed
from .patients import DEMO_PATIENTS, DemoPatient, resources
from .smart_auth import Client, SmartAuthServer
from .threaded_server import serving

__all__ = ["CLIENT_ID", "SANDBOX", "main"]

CLIENT_ID = "cml-cds-demo"
SANDBOX = "https://sandbox.cds-hooks.org"
HOST = "127.0.0.1"
SERVICE_ID = "cml-tki-resistance"


class DemoError(RuntimeError):
    """The demo could not start; the message says why (and what to do)."""


class Stopped(Exception):  # not an error: the signal that ends the demo
    """SIGINT or SIGTERM arrived."""


@dataclass(frozen=True)
class Urls:
    service: str
    ehr: str
    sandbox: str

    @property
    def discovery(self) -> str:
        return f"{self.service}/cds-services"

    @property
    def fhir(self) -> str:
        return f"{self.ehr}/fhir"

    def sandbox_for(self, patient: str) -> str:
        query = urlencode({"serviceDiscoveryURL": self.discovery, "fhirServiceUrl": self.fhir, "patientId": patient})
        return f"{self.sandbox}/?{query}"

    def app_launch(self, launch: str) -> str:
        return f"{self.service}/smart/launch?iss={quote(self.fhir, safe='')}&launch={quote(launch, safe='')}"


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
        return True


def _service_command() -> list[str]:
    """`cml-cds serve`: the console script beside this interpreter, else the same entry point through it."""
    script = Path(sys.executable).parent / "cml-cds"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from cds_hooks.cli import main; sys.exit(main())"]


def _service_env(urls: Urls, workdir: Path) -> dict[str, str]:
    """The service's configuration: nothing from the caller's CMLCDS_* variables, only the demo's."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CMLCDS_")}
    env.update(
        {
            "CMLCDS_MODE": "development",
            "CMLCDS_PUBLIC_BASE_URL": urls.service,
            "CMLCDS_SMART_CLIENTS": json.dumps([{"iss": urls.fhir, "client_id": CLIENT_ID}]),
            "CMLCDS_CORS_ORIGINS": json.dumps([urls.sandbox]),
            "CMLCDS_DATABASE_PATH": str(workdir / "cml-cds.sqlite3"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _stop(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait(timeout=10)


@contextlib.contextmanager
def _running_service(urls: Urls, port: int, workdir: Path) -> Iterator[subprocess.Popen[bytes]]:
    log_path = workdir / "cml-cds.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [*_service_command(), "serve", "--host", HOST, "--port", str(port)],
            cwd=REPO_ROOT,
            env=_service_env(urls, workdir),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        _stop(process)


def _wait_for_service(process: subprocess.Popen[bytes], urls: Urls, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DemoError(f"cml-cds serve exited with code {process.returncode}; log:\n{_tail(log_path)}")
        try:
            if httpx.get(urls.discovery, timeout=2.0, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise DemoError(f"cml-cds serve did not answer {urls.discovery} within {timeout:.0f}s; log:\n{_tail(log_path)}")


def _tail(path: Path, limit: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return "<no log>"


def banner(urls: Urls, patients: Sequence[tuple[DemoPatient, str]], token: str, log: Path) -> str:
    """What the demo prints once everything answers."""
    lines = [
        "cml-cds demo: everything below runs on 127.0.0.1; Ctrl-C stops it all.",
        "",
        f"  CDS Hooks discovery   {urls.discovery}",
        f"  FHIR server           {urls.fhir}   ({SEKMET_REQUIREMENT}; read-only, open without a token)",
        f"  SMART configuration   {urls.fhir}/.well-known/smart-configuration",
        f"  FHIR access token     {token}   (fhirAuthorization for your own hook calls)",
        f"  Service log           {log}",
        "",
        "Patients (open the Sandbox link for the cards; a card's SMART link, or the App link, opens the app):",
    ]
    for patient, launch in patients:
        lines += [
            "",
            f"  {patient.id}: {patient.name} ({patient.gender}, born {patient.birth_date}) — {patient.story}",
            f"    Sandbox  {urls.sandbox_for(patient.id)}",
            f"    App      {urls.app_launch(launch)}",
        ]
    lines += [
        "",
        "A hook call through the FHIR server (no prefetch):",
        f"  curl -s -X POST {urls.service}/cds-services/{SERVICE_ID} -H 'Content-Type: application/json' \\",
        f'       -d \'{{"hook":"patient-view","hookInstance":"{uuid.uuid4()}",'
        f'"fhirServer":"{urls.fhir}","context":{{"userId":"Practitioner/demo",'
        f'"patientId":"{patients[0][0].id}"}}}}\'',
    ]
    return "\n".join(lines)


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    """The first SIGINT/SIGTERM ends the demo; later ones are ignored so they cannot cut the clean-up short."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    raise Stopped(signal.Signals(signum).name)


def run(args: argparse.Namespace) -> int:
    urls = Urls(service=f"http://{HOST}:{args.port}", ehr=f"http://{HOST}:{args.ehr_port}", sandbox=args.sandbox)
    for port, option in ((args.port, "PORT"), (args.ehr_port, "EHR_PORT")):
        if not _port_free(port):
            raise DemoError(f"port {port} on {HOST} is in use; choose another (make demo {option}=…)")
    workdir = Path(args.workdir).resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    if not sekmet_installed():
        print(f"Installing {SEKMET_REQUIREMENT} into its own venv under .cache/ (first run only) …", flush=True)
    token = secrets.token_urlsafe(24)
    with contextlib.ExitStack() as stack:
        fhir = stack.enter_context(running_fhir_server(token, announced_url=urls.fhir))
        service = stack.enter_context(_running_service(urls, args.port, workdir))  # starts while patients load
        today = date.today()
        for patient in DEMO_PATIENTS:
            fhir.put_all(resources(patient, today))
        auth = SmartAuthServer(
            fhir_base=urls.fhir, client=Client(CLIENT_ID, [f"{urls.service}/smart/callback"]), access_token=token
        )
        ehr = DemoEhr(
            public_url=urls.ehr,
            upstream=fhir.base_url,
            token=token,
            auth=auth,
            patients={patient.id for patient in DEMO_PATIENTS},
            cors_origins=[urls.sandbox],
        )
        stack.enter_context(serving(ehr.app(), args.ehr_port))
        _wait_for_service(service, urls, workdir / "cml-cds.log", args.timeout)
        launches = [(patient, auth.new_launch(patient.id)) for patient in DEMO_PATIENTS]
        print(banner(urls, launches, token, workdir / "cml-cds.log"), flush=True)
        if args.info_file:
            _write_info(
                Path(args.info_file), urls, launches, token, {"sekmet": fhir.process.pid, "service": service.pid}
            )
        while True:
            for name, process in (("sekmet", fhir.process), ("cml-cds serve", service)):
                if process.poll() is not None:
                    raise DemoError(f"{name} exited with code {process.returncode}; stopping the demo")
            time.sleep(0.5)


def _write_info(
    path: Path, urls: Urls, launches: Sequence[tuple[DemoPatient, str]], token: str, pids: dict[str, int]
) -> None:
    info: dict[str, Any] = {
        "service": urls.service,
        "discovery": urls.discovery,
        "fhir": urls.fhir,
        "token": token,
        "clientId": CLIENT_ID,
        "pids": pids,
        "patients": [
            {"id": p.id, "launch": launch, "app": urls.app_launch(launch), "sandbox": urls.sandbox_for(p.id)}
            for p, launch in launches
        ],
    }
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(info, indent=2))
    partial.replace(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=8080, help="the CDS Hooks service and the SMART app (8080)")
    parser.add_argument("--ehr-port", type=int, default=8081, help="the demo EHR: FHIR base URL and SMART (8081)")
    parser.add_argument("--workdir", default=str(REPO_ROOT / ".cache" / "demo"), help="service database and log")
    parser.add_argument("--sandbox", default=SANDBOX, help="the CDS Hooks Sandbox's origin (CORS, printed links)")
    parser.add_argument("--info-file", help="write the URLs, token and process ids here as JSON once ready")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds the service may take to start")
    args = parser.parse_args(argv)
    previous = {sig: signal.signal(sig, _raise_stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return run(args)
    except Stopped:
        return 0
    except (DemoError, FhirServerError) as error:
        print(f"demo: {error}", file=sys.stderr)
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
