"""A full SMART EHR launch in headless Chromium against the real FHIR server and a real OAuth 2.0 server.

Parts: sekmet-fhir holding the patient (its SMART configuration names the test authorization server),
the Authlib authorization server in `auth_server.py` (PKCE S256 and `aud` enforced), and the service as
`create_app` under uvicorn. Debian's chromium is driven by playwright; no browser is downloaded. Every
request the browser makes is recorded: none may leave 127.0.0.1.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest

from cds_hooks.app import create_app
from cds_hooks.settings import Settings, SmartClient
from tests.builders import TODAY
from tests.debian_tools import CHROMIUM_FLAGS, find_chromium
from tests.fhir_server import FhirServer, running_fhir_server
from tests.smart_app.auth_server import Client, SmartAuthServer
from tests.smart_app.scenario import (
    BIRTH_DATE,
    LONG_PATIENT,
    LONG_RESULTS,
    PATIENT_NAME,
    RESULTS,
    long_course,
    resources,
)
from tests.smart_app.threaded_server import free_port, serving

pytestmark = pytest.mark.fhir_server

FHIR_TOKEN = "smart-test-fhir-token"
CLIENT_ID = "cml-cds-smart-test"


@dataclass
class Stack:
    fhir: FhirServer
    auth: SmartAuthServer
    app_url: str
    auth_url: str

    def launch_url(self, iss: str, launch: str | None = None) -> str:
        url = f"{self.app_url}/smart/launch?iss={quote(iss, safe='')}"
        return url + (f"&launch={quote(launch)}" if launch else "")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    find_chromium()
    auth_port, app_port = free_port(), free_port()
    auth_url, app_url = f"http://127.0.0.1:{auth_port}", f"http://127.0.0.1:{app_port}"
    with running_fhir_server(FHIR_TOKEN, public_url=auth_url) as fhir:
        fhir.put_all(resources())
        fhir.put_all(long_course())
        auth = SmartAuthServer(
            fhir_base=fhir.base_url,
            client=Client(CLIENT_ID, [f"{app_url}/smart/callback"]),
            access_token=FHIR_TOKEN,
        )
        auth.launches = {
            "launch-ok": ("cml-1", FHIR_TOKEN),
            "launch-revoked": ("cml-1", "revoked-token"),
            "launch-long": (LONG_PATIENT, FHIR_TOKEN),
        }
        auth.standalone_patient = "cml-1"
        settings = Settings(
            database_path=tmp_path_factory.mktemp("smart") / "cml-cds.sqlite3",
            smart_clients=[SmartClient(iss=fhir.base_url, client_id=CLIENT_ID)],
        )
        app = create_app(settings, today=lambda: TODAY)
        with serving(auth.app(), auth_port), serving(app, app_port):
            yield Stack(fhir=fhir, auth=auth, app_url=app_url, auth_url=auth_url)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium_path = find_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.requested = []  # every URL the browser asked for, in order
    page.on("request", lambda request: page.requested.append(request.url))
    yield page
    context.close()


def _hosts(urls: list[str]) -> set[str]:
    return {urlsplit(url).hostname or "" for url in urls if not url.startswith(("data:", "about:"))}


def _percent(value: float) -> str:
    return f"{value:g}"


def _cards(stack: Stack) -> list[dict[str, Any]]:
    """The CDS service's own cards for the same patient on the same FHIR server (no prefetch)."""
    request = {
        "hook": "patient-view",
        "hookInstance": "0d6f6a1e-1a47-4d6a-9b0b-3f2f3f3f3f3f",
        "context": {"userId": "Practitioner/example", "patientId": "cml-1"},
        "fhirServer": stack.fhir.base_url,
        "fhirAuthorization": {
            "access_token": FHIR_TOKEN,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.rs",
            "subject": "cml-cds",
        },
    }
    response = httpx.post(f"{stack.app_url}/cds-services/cml-tki-resistance", json=request, timeout=30)
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


def test_ehr_launch_draws_the_course_and_the_services_findings(stack: Stack, page: Any) -> None:
    before = len(stack.auth.requests)
    page.goto(stack.launch_url(stack.fhir.base_url, "launch-ok"))
    page.wait_for_url(re.compile(r".*/smart/app$"))

    # What the app sent: PKCE S256, aud = iss, the launch, then the verifier with the code.
    sent = stack.auth.requests[before:]
    assert [path for path, _ in sent] == ["authorize", "token"]
    authorize, token = sent[0][1], sent[1][1]
    assert authorize["aud"] == stack.fhir.base_url
    assert authorize["code_challenge_method"] == "S256"
    assert authorize["launch"] == "launch-ok"
    assert authorize["client_id"] == CLIENT_ID
    assert "launch" in authorize["scope"].split()
    assert len(token["code_verifier"]) >= 43

    chart = page.locator("svg#course-chart")
    assert chart.count() == 1
    points = chart.locator("g.result")
    assert points.count() == len(RESULTS)
    drawn = sorted((p.get_attribute("data-taken"), p.get_attribute("data-percent")) for p in points.all())
    assert drawn == sorted((taken.isoformat(), _percent(value)) for taken, value, _ in RESULTS)
    undetectable = chart.locator('g.result[data-undetectable="true"]')
    assert [p.get_attribute("data-percent") for p in undetectable.all()] == [
        _percent(value) for _, value, comparator in RESULTS if comparator == "<"
    ]
    assert undetectable.locator("path").count() == 1  # its own shape, not a circle

    levels = {line.get_attribute("data-percent") for line in chart.locator("line.level").all()}
    assert levels == {"10", "1", "0.1", "0.01", "0.0032"}
    assert chart.locator("line.milestone:not(.past)").count() == 3
    assert chart.locator("rect.zone:not(.past)").count() > 0
    assert [g.get_attribute("data-drug") for g in chart.locator("g.line").all()] == ["imatinib", "nilotinib"]
    assert "resistance" in chart.locator("g.line.drug-imatinib").text_content()
    _assert_bands_and_past_windows(chart)

    # The header: who, born when, how old; the record's id only when there is no name.
    assert page.locator("#patient-name").inner_text() == PATIENT_NAME
    assert page.locator("#patient-birth").inner_text() == BIRTH_DATE
    assert page.locator("#patient-age").inner_text() == "66 years"  # 1960-04-02 on 2026-11-22
    assert "cml-1" not in page.locator("header").inner_text()
    assert page.title().startswith(f"BCR::ABL1 course · {PATIENT_NAME}")
    assert "T315I" in chart.locator("g.kd.variant").text_content()
    assert chart.locator("g.kd.negative").count() == 1

    # Text as well as the chart: every result in the table, every card's finding in the list.
    assert page.locator("#results-table tbody tr").count() == len(RESULTS)
    assert "nilotinib 400 mg ×2/day" in page.locator("#lines-table").inner_text()
    cards = _cards(stack)
    for card in cards:
        assert card["links"][0]["type"] == "smart"
        assert card["links"][0]["url"] == f"{stack.app_url}/smart/launch"

    # Keyboard: after the skip link, Tab reaches the marks of the chart.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('class')") == "skip"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('svg') !== null")

    _assert_findings_read_as_the_cards(page, cards)  # opens and closes each finding's <details>
    _assert_the_json_is_the_page(page, stack, cards)
    page.evaluate("document.activeElement.blur()")

    screenshot = os.environ.get("CMLCDS_SMART_SCREENSHOT")  # for a person to look at; not committed
    if screenshot:
        page.screenshot(path=screenshot, full_page=True)
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 1062, "height": 733})  # A4 landscape less 8 mm margins, at 96 dpi
        page.screenshot(path=screenshot.replace(".png", "-print.png"), full_page=True)
        page.set_viewport_size({"width": 1024, "height": 768})
        page.emulate_media(media=None)

    # Print: one page (the page's own @page rule sets A4 landscape).
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    if screenshot:
        Path(screenshot.replace(".png", ".pdf")).write_bytes(pdf)
        Path(screenshot.replace(".png", ".html")).write_text(page.content())
    assert _pages(pdf) == 1
    assert _hosts(page.requested) == {"127.0.0.1"}, page.requested


def _assert_bands_and_past_windows(chart: Any) -> None:
    """Each band names its drug and the dose of each step, each label whole inside its step; the dose change
    is marked on the band; the earlier line's milestone windows are there, faded."""
    imatinib, nilotinib = chart.locator("g.line.drug-imatinib"), chart.locator("g.line.drug-nilotinib")
    assert imatinib.locator("text.line-label").text_content() == "imatinib"
    assert nilotinib.locator("text.line-label").text_content() == "nilotinib"
    assert [step.get_attribute("data-dose") for step in imatinib.locator("svg.dose-step").all()] == ["400 mg/day"]
    steps = nilotinib.locator("svg.dose-step")
    assert [step.get_attribute("data-dose") for step in steps.all()] == ["300 mg ×2/day", "400 mg ×2/day"]
    assert [t.text_content() for t in nilotinib.locator("text.dose-label").all()] == [
        "300 mg ×2/day",
        "▲ 400 mg ×2/day",
    ]
    for step in chart.locator("svg.dose-step").all():
        box, text = step.bounding_box(), step.locator("text").bounding_box()
        assert box is not None and text is not None
        assert box["x"] <= text["x"] and text["x"] + text["width"] <= box["x"] + box["width"] + 0.5, (box, text)
    change = chart.locator("line.dose-change")
    assert change.count() == 1
    assert "nilotinib dose raised 2025-08-01: 300 mg ×2/day → 400 mg ×2/day" in change.text_content()
    assert chart.locator("rect.zone.past").count() > 0
    assert {z.get_attribute("data-line") for z in chart.locator("rect.zone.past").all()} == {"0"}
    past = chart.locator("line.milestone.past")
    assert sorted(m.get_attribute("data-months") for m in past.all()) == ["12", "3", "6"]
    faded = chart.locator("rect.zone.past").first.evaluate("e => Number(getComputedStyle(e).opacity)")
    current = chart.locator("rect.zone:not(.past)").first.evaluate("e => Number(getComputedStyle(e).opacity)")
    assert 0 < faded < current


def _what_to_do(card: dict[str, Any]) -> str:
    found = re.search(r"\*\*What to do\*\*: (.+)", card["detail"])
    assert found, card["detail"]
    return found.group(1).strip()


def _assert_findings_read_as_the_cards(page: Any, cards: list[dict[str, Any]]) -> None:
    """Each card's summary and "What to do" in view; the rule ids and the sources only once expanded."""
    items = page.locator("#findings > li[data-code]").all()
    assert [li.get_attribute("data-code") for li in items] == [
        card["extension"]["org.cmlcds.finding"]["code"] for card in cards
    ]
    for li, card in zip(items, cards, strict=True):
        finding = card["extension"]["org.cmlcds.finding"]
        assert li.locator("strong.summary").inner_text() == card["summary"]
        assert li.locator("p.todo").inner_text() == f"What to do: {_what_to_do(card)}"
        collapsed = li.locator("details")
        assert collapsed.count() == 1 and collapsed.get_attribute("open") is None
        visible = li.inner_text()
        assert not [rule for rule in finding["rules"] if rule in visible]
        assert card["source"]["label"] not in visible
        collapsed.locator("summary").click()
        opened = li.inner_text()
        assert all(rule in opened for rule in finding["rules"])
        assert card["source"]["label"] in li.locator("ul.sources").inner_text()
        collapsed.locator("summary").click()
        assert collapsed.get_attribute("open") is None


def _assert_the_json_is_the_page(page: Any, stack: Stack, cards: list[dict[str, Any]]) -> None:
    """/smart/api/course, with the page's session: the same patient, doses, windows and findings."""
    response = page.request.get(f"{stack.app_url}/smart/api/course")
    assert response.status == 200
    course = response.json()
    assert (course["patient"], course["name"], course["birthDate"], course["age"]) == (
        "cml-1",
        PATIENT_NAME,
        BIRTH_DATE,
        66,
    )
    assert [[d["label"] for d in line["doses"]] for line in course["lines"]] == [
        ["400 mg/day"],
        ["300 mg ×2/day", "400 mg ×2/day"],
    ]
    assert [d["change"] for d in course["lines"][1]["doses"]] == [None, "increase"]
    assert {(m["line"], m["current"]) for m in course["milestones"]} == {(0, False), (1, True)}
    assert [(f["summary"], f["action"]) for f in course["findings"]] == [
        (card["summary"], _what_to_do(card)) for card in cards
    ]
    assert [[r["id"] for r in f["rules"]] for f in course["findings"]] == [
        card["extension"]["org.cmlcds.finding"]["rules"] for card in cards
    ]


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_twelve_years_of_results_still_print_on_one_page(stack: Stack, page: Any) -> None:
    page.goto(stack.launch_url(stack.fhir.base_url, "launch-long"))
    page.wait_for_url(re.compile(r".*/smart/app$"))
    assert page.locator("#patient-name").inner_text() == f"Patient {LONG_PATIENT}"  # no name: the record's id
    assert page.locator("#patient-birth").inner_text() == BIRTH_DATE
    assert page.locator("svg#course-chart g.result").count() == LONG_RESULTS
    assert page.locator("#results-table tbody tr").count() == LONG_RESULTS
    assert _pages(page.pdf(prefer_css_page_size=True, print_background=True)) == 1


def test_standalone_launch_reaches_the_same_page(stack: Stack, page: Any) -> None:
    before = len(stack.auth.requests)
    page.goto(stack.launch_url(stack.fhir.base_url))
    page.wait_for_url(re.compile(r".*/smart/app$"))
    authorize = stack.auth.requests[before][1]
    assert "launch" not in authorize
    assert "launch/patient" in authorize["scope"].split()
    assert page.locator("svg#course-chart g.result").count() == len(RESULTS)
    assert _hosts(page.requested) == {"127.0.0.1"}


def test_an_unconfigured_iss_is_refused_and_never_contacted(stack: Stack, page: Any) -> None:
    before = len(stack.auth.requests)
    response = page.goto(stack.launch_url(f"{stack.auth_url}/fhir", "launch-ok"))
    assert response.status == 400
    assert "Launch refused" in page.locator("[role=alert]").inner_text()
    assert len(stack.auth.requests) == before
    assert page.requested == [stack.launch_url(f"{stack.auth_url}/fhir", "launch-ok")]


def test_a_token_without_access_says_so(stack: Stack, page: Any) -> None:
    page.goto(stack.launch_url(stack.fhir.base_url, "launch-revoked"))
    page.wait_for_url(re.compile(r".*/smart/app$"))
    alert = page.locator("[role=alert]").inner_text()
    assert "No access to this patient's records" in alert
    assert page.locator("svg#course-chart").count() == 0
