"""`make demo` end to end: started as `python -m demo` on free ports, used as the Sandbox and a clinician would.

One demo per module (start-up is sekmet + the service, a few seconds). The hook calls carry `fhirServer` and
`fhirAuthorization` and no prefetch, so every card comes from reads through the demo's FHIR server. The
browser steps are the two ways into the app: the Sandbox's (its launch-context call, then the card's link
with `launch` and `iss` appended exactly as cds-hooks/sandbox does) and the link the demo prints. The last
test sends SIGINT to the demo process alone — a terminal's Ctrl-C reaches the whole process group, which is
the easier case — and checks that every process it started is gone.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from demo.fhir_server import REPO_ROOT, ensure_sekmet_installed
from demo.patients import DEMO_PATIENTS
from demo.threaded_server import free_port
from tests.debian_tools import CHROMIUM_FLAGS, find_chromium

pytestmark = pytest.mark.fhir_server

SANDBOX = "https://sandbox.cds-hooks.org"
START_TIMEOUT = 90.0


@dataclass
class Demo:
    process: subprocess.Popen[bytes]
    info: dict[str, Any]
    output: Path

    def patient(self, ident: str) -> dict[str, Any]:
        return next(p for p in self.info["patients"] if p["id"] == ident)

    def printed(self) -> str:
        return self.output.read_text(errors="replace")


def _start(tmp: Path) -> Demo:
    info_file = tmp / "info.json"
    output = tmp / "output.txt"
    command = [sys.executable, "-m", "demo", "--port", str(free_port()), "--ehr-port", str(free_port())]
    command += ["--workdir", str(tmp / "run"), "--info-file", str(info_file)]
    with open(output, "wb") as out:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while not info_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            _kill(process)
            pytest.fail(f"the demo did not start (exit code {process.returncode}):\n{output.read_text()[-4000:]}")
        time.sleep(0.1)
    return Demo(process=process, info=json.loads(info_file.read_text()), output=output)


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    ensure_sekmet_installed()  # a first install belongs to the set-up, not to the demo's start-up time
    running = _start(tmp_path_factory.mktemp("demo"))
    try:
        yield running
    finally:
        if running.process.poll() is None:  # the SIGINT test did not run (or failed): leave nothing behind
            running.process.send_signal(signal.SIGINT)
            try:
                running.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                _kill(running.process)


@pytest.fixture(scope="module")
def browser(demo: Demo) -> Iterator[Any]:
    chromium_path = find_chromium()  # skipped on a laptop without it (one line naming the package); CI fails
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.requested = []
    page.on("request", lambda request: page.requested.append(request.url))
    yield page
    context.close()


def _hook(demo: Demo, patient: str, *, token: bool = True) -> list[dict[str, Any]]:
    """patient-view with fhirServer (and fhirAuthorization unless token=False, as the Sandbox sends it), no prefetch."""
    request: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": demo.info["fhir"],
        "context": {"userId": "Practitioner/demo", "patientId": patient},
    }
    if token:
        request["fhirAuthorization"] = {
            "access_token": demo.info["token"],
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.rs",
            "subject": "cml-cds-demo-test",
        }
    response = httpx.post(f"{demo.info['service']}/cds-services/cml-tki-resistance", json=request, timeout=30)
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


def _codes(cards: list[dict[str, Any]]) -> list[str]:
    return [card["extension"]["org.cmlcds.finding"]["code"] for card in cards]


def test_it_prints_discovery_a_sandbox_url_and_an_app_link_per_patient(demo: Demo) -> None:
    printed = demo.printed()
    assert demo.info["discovery"] in printed
    for patient in DEMO_PATIENTS:
        entry = demo.patient(patient.id)
        assert patient.name in printed
        assert entry["sandbox"] in printed and entry["app"] in printed
        sandbox = urlsplit(entry["sandbox"])
        assert f"{sandbox.scheme}://{sandbox.netloc}" == SANDBOX
        assert parse_qs(sandbox.query) == {
            "serviceDiscoveryURL": [demo.info["discovery"]],
            "fhirServiceUrl": [demo.info["fhir"]],
            "patientId": [patient.id],
        }
        app = parse_qs(urlsplit(entry["app"]).query)
        assert app == {"iss": [demo.info["fhir"]], "launch": [entry["launch"]]}
    discovery = httpx.get(demo.info["discovery"], timeout=10).json()
    assert "cml-tki-resistance" in {service["id"] for service in discovery["services"]}


@pytest.mark.parametrize("patient", DEMO_PATIENTS, ids=[p.id for p in DEMO_PATIENTS])
def test_patient_view_through_the_demo_fhir_server(demo: Demo, patient: Any) -> None:
    record = httpx.get(f"{demo.info['fhir']}/Patient/{patient.id}", timeout=10).json()
    assert record["name"][0]["family"] == patient.family and record["birthDate"] == patient.birth_date
    cards = _hook(demo, patient.id)
    assert _codes(cards) == list(patient.expected), [card["summary"] for card in cards]
    for card in cards:
        assert card["links"][0]["url"] == f"{demo.info['service']}/smart/launch"


def test_the_sandbox_reads_the_fhir_server_openly_from_its_origin(demo: Demo) -> None:
    fhir, origin = demo.info["fhir"], {"Origin": SANDBOX}
    for path in ("metadata", "Patient/demo-t315i", "Condition?patient=demo-t315i"):
        response = httpx.get(f"{fhir}/{path}", headers=origin, timeout=10)
        assert response.status_code == 200, (path, response.text)
        assert response.headers["access-control-allow-origin"] == SANDBOX
    preflight = httpx.options(
        f"{fhir}/_services/smart/Launch",
        headers={**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
        timeout=10,
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == SANDBOX
    assert (
        httpx.get(f"{fhir}/Patient/demo-t315i", headers={"Authorization": "Bearer wrong"}, timeout=10).status_code
        == 401
    )
    assert httpx.delete(f"{fhir}/Patient/demo-t315i", timeout=10).status_code == 405
    # Open mode: the Sandbox sends no fhirAuthorization; the cards are the same.
    assert _codes(_hook(demo, "demo-t315i", token=False)) == list(DEMO_PATIENTS[0].expected)


def _app_loaded(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_url(re.compile(r".*/smart/app$"))
    assert page.locator("[role=alert]").count() == 0, page.locator("[role=alert]").inner_text()


def test_a_card_link_opened_from_the_sandbox_completes_an_ehr_launch(demo: Demo, page: Any) -> None:
    fhir = demo.info["fhir"]
    cards = _hook(demo, "demo-t315i", token=False)
    link = cards[0]["links"][0]
    assert link["type"] == "smart"
    # What the Sandbox does before opening a SMART link (src/retrieve-data-helpers/launch-context-retrieval.js).
    response = httpx.post(
        f"{fhir}/_services/smart/Launch",
        headers={"Origin": SANDBOX, "Accept": "application/json"},
        json={"launchUrl": link["url"], "parameters": {"patient": "demo-t315i", "smart_messaging_origin": SANDBOX}},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == SANDBOX
    launch_id = response.json()["launch_id"]
    _app_loaded(page, f"{link['url']}?launch={launch_id}&iss={fhir}")  # appended as the Sandbox does, unencoded
    results = httpx.get(f"{fhir}/Observation?patient=demo-t315i&code=http://loinc.org|69380-4", timeout=10).json()
    assert page.locator("svg#course-chart g.result").count() == results["total"] > 0
    shown = [li.get_attribute("data-code") for li in page.locator("#findings li[data-code]").all()]
    assert shown == _codes(cards)
    assert {urlsplit(url).hostname for url in page.requested} == {"127.0.0.1"}


def test_the_printed_app_link_opens_the_app_for_its_patient(demo: Demo, page: Any) -> None:
    _app_loaded(page, demo.patient("demo-pregnant")["app"])
    shown = [li.get_attribute("data-code") for li in page.locator("#findings li[data-code]").all()]
    assert shown == ["pregnancy"]
    header = page.locator("header").inner_text()
    assert "Amira Haddad" in header or "demo-pregnant" in header  # the name once the header shows it (#24 item 4)


def _children(pid: int) -> set[int]:
    """Every descendant of `pid` (Linux /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _listening(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((parts.hostname or "", parts.port or 80)) == 0


def test_sigint_stops_everything_it_started(demo: Demo) -> None:
    children = _children(demo.process.pid)
    assert set(demo.info["pids"].values()) <= children
    demo.process.send_signal(signal.SIGINT)  # the demo process only: it must stop its children itself
    assert demo.process.wait(timeout=30) == 0, demo.printed()[-3000:]
    left = {pid for pid in children if Path(f"/proc/{pid}").exists()}
    assert not left, left
    assert not _listening(demo.info["service"]) and not _listening(demo.info["fhir"])
