"""The launch, the redirect URI and the page's error states, at the HTTP edge (respx for the EHR's side).

The full flow against real servers is in test_browser_launch.py; here are the cases a real EHR cannot
easily be made to produce: an unconfigured iss (nothing may be contacted), a wrong state, a FHIR server
that refuses the token or is down.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from fastapi.testclient import TestClient

from cds_hooks.app import create_app
from cds_hooks.settings import Settings, SmartClient
from tests.builders import TODAY, hook_request

ISS = "https://ehr.example.org/fhir"
AUTHORIZE = "https://auth.example.org/authorize"
TOKEN = "https://auth.example.org/token"
CONFIG = {"authorization_endpoint": AUTHORIZE, "token_endpoint": TOKEN, "code_challenge_methods_supported": ["S256"]}


@pytest.fixture
def smart(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        database_path=tmp_path / "cml-cds.sqlite3", smart_clients=[SmartClient(iss=ISS, client_id="app-1")]
    )
    with TestClient(create_app(settings, today=lambda: TODAY), follow_redirects=False) as client:
        yield client


def _launch(smart: TestClient, mock: respx.MockRouter, launch: str | None = "abc") -> dict[str, list[str]]:
    mock.get(f"{ISS}/.well-known/smart-configuration").respond(json=CONFIG)
    response = smart.get("/smart/launch", params={"iss": ISS, **({"launch": launch} if launch else {})})
    assert response.status_code == 302
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "path=/smart" in cookie and "samesite=lax" in cookie  # http: not Secure
    location = response.headers["location"]
    assert location.startswith(AUTHORIZE + "?")
    return parse_qs(urlsplit(location).query)


@pytest.mark.parametrize("iss", ["https://evil.example.org/fhir", "https://ehr.example.org/fhir/other", ""])
def test_an_iss_not_configured_is_refused_and_nothing_is_contacted(smart: TestClient, iss: str) -> None:
    with respx.mock(assert_all_called=False) as mock:
        response = smart.get("/smart/launch", params={"iss": iss, "launch": "abc"})
        assert response.status_code == 400
        assert "Launch refused" in response.text
        assert "location" not in response.headers
        assert not mock.calls


def test_the_authorization_request_carries_pkce_s256_state_aud_and_launch(smart: TestClient) -> None:
    with respx.mock() as mock:
        params = _launch(smart, mock)
    assert params["response_type"] == ["code"]
    assert params["client_id"] == ["app-1"]
    assert params["redirect_uri"] == ["http://testserver/smart/callback"]
    assert params["aud"] == [ISS]
    assert params["launch"] == ["abc"]
    assert params["code_challenge_method"] == ["S256"]
    assert len(params["code_challenge"][0]) == 43
    assert len(params["state"][0]) >= 20
    scopes = params["scope"][0].split()
    assert scopes[0] == "launch"
    assert {"patient/Observation.rs", "patient/MedicationStatement.rs", "patient/Goal.rs"} <= set(scopes)
    cookie = smart.cookies.get("cmlcds_smart", path="/smart")
    assert cookie


def test_a_standalone_launch_asks_for_a_patient(smart: TestClient) -> None:
    with respx.mock() as mock:
        params = _launch(smart, mock, launch=None)
    assert "launch" not in params
    assert "launch/patient" in params["scope"][0].split()


def test_an_ehr_without_s256_or_unreachable_is_a_clear_502(smart: TestClient) -> None:
    with respx.mock() as mock:
        mock.get(f"{ISS}/.well-known/smart-configuration").respond(
            json={**CONFIG, "code_challenge_methods_supported": ["plain"]}
        )
        refused = smart.get("/smart/launch", params={"iss": ISS})
    with respx.mock() as mock:
        mock.get(f"{ISS}/.well-known/smart-configuration").mock(side_effect=httpx.ConnectError("down"))
        down = smart.get("/smart/launch", params={"iss": ISS})
    assert refused.status_code == 502 and "S256" in refused.text
    assert down.status_code == 502 and "could not be read" in down.text


@pytest.mark.parametrize("state", ["not-the-state", "é-not-ascii", ""])
def test_a_wrong_state_is_refused_before_any_token_request(smart: TestClient, state: str) -> None:
    with respx.mock(assert_all_called=False) as mock:
        _launch(smart, mock)
        token = mock.post(TOKEN).respond(json={"access_token": "t", "token_type": "Bearer", "patient": "cml-1"})
        response = smart.get("/smart/callback", params={"code": "c", "state": state})
    assert response.status_code == 400
    assert not token.called


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _authorised(smart: TestClient, mock: respx.MockRouter) -> dict[str, list[str]]:
    """Launch and come back with a code; returns the token request the app sent."""
    params = _launch(smart, mock)
    token = mock.post(TOKEN).respond(
        json={"access_token": "secret-token", "token_type": "Bearer", "expires_in": 300, "patient": "cml-1"}
    )
    launched = smart.cookies.get("cmlcds_smart", path="/smart")
    response = smart.get("/smart/callback", params={"code": "the-code", "state": params["state"][0]})
    assert response.status_code == 302
    assert smart.cookies.get("cmlcds_smart", path="/smart") not in (None, launched)  # a new session id
    assert response.headers["location"] == "http://testserver/smart/app"
    sent = parse_qs(token.calls.last.request.content.decode())
    assert _s256(sent["code_verifier"][0]) == params["code_challenge"][0]
    return sent


def test_the_code_is_exchanged_with_the_pkce_verifier(smart: TestClient) -> None:
    with respx.mock() as mock:
        sent = _authorised(smart, mock)
    assert sent["grant_type"] == ["authorization_code"]
    assert sent["code"] == ["the-code"]
    assert sent["client_id"] == ["app-1"]
    assert sent["redirect_uri"] == ["http://testserver/smart/callback"]


def test_a_token_the_fhir_server_refuses_gives_a_no_access_page(smart: TestClient) -> None:
    with respx.mock() as mock:
        _authorised(smart, mock)
        reads = mock.get(url__startswith=ISS).respond(401)
        page = smart.get("/smart/app")
        data = smart.get("/smart/api/course")
    assert page.status_code == 403
    assert "No access to this patient" in page.text
    assert data.status_code == 403 and data.json()["error"] == "no-access"
    assert all(call.request.headers["Authorization"] == "Bearer secret-token" for call in reads.calls)
    assert "secret-token" not in page.text


def test_an_unreachable_fhir_server_says_so(smart: TestClient) -> None:
    with respx.mock() as mock:
        _authorised(smart, mock)
        mock.get(url__startswith=ISS).mock(side_effect=httpx.ConnectError("down"))
        page = smart.get("/smart/app")
    assert page.status_code == 502
    assert "unreachable" in page.text


def test_optional_data_that_cannot_be_read_is_listed_as_excluded(smart: TestClient) -> None:
    with respx.mock() as mock:
        _authorised(smart, mock)
        mock.get(url__startswith=f"{ISS}/Condition").respond(503)
        mock.get(f"{ISS}/Patient/cml-1").respond(json={"resourceType": "Patient", "id": "cml-1"})
        mock.get(url__startswith=ISS).respond(json={"resourceType": "Bundle", "type": "searchset", "entry": []})
        page = smart.get("/smart/app")
        data = smart.get("/smart/api/course").json()
    assert page.status_code == 200
    assert {"reference": "prefetch conditions", "reason": "conditions: HTTP 503"} in data["excluded"]
    assert "prefetch conditions" in page.text and "HTTP 503" in page.text
    assert (data["patient"], data["name"], data["birthDate"], data["age"]) == ("cml-1", None, None, None)
    assert "Patient cml-1" in page.text and "birth date not recorded" in page.text


def test_the_page_and_its_json_name_the_patient_from_the_patient_resource(smart: TestClient) -> None:
    person = {
        "resourceType": "Patient",
        "id": "cml-1",
        "birthDate": "1971-12-01",
        "name": [{"use": "official", "given": ["Ana"], "family": "Silva"}],
    }
    with respx.mock() as mock:
        _authorised(smart, mock)
        mock.get(f"{ISS}/Patient/cml-1").respond(json=person)
        mock.get(url__startswith=ISS).respond(json={"resourceType": "Bundle", "type": "searchset", "entry": []})
        page = smart.get("/smart/app")
        data = smart.get("/smart/api/course").json()
    assert (data["name"], data["birthDate"], data["age"]) == ("Ana Silva", "1971-12-01", 54)  # on 2026-11-22
    header = page.text[page.text.index("<header>") : page.text.index("</header>")]
    assert "Ana Silva" in header and "1971-12-01" in header and "54 years" in header and "cml-1" not in header


def test_the_page_without_a_launch_asks_for_one(smart: TestClient) -> None:
    page = smart.get("/smart/app")
    data = smart.get("/smart/api/course")
    assert page.status_code == 401 and "Not launched" in page.text
    assert data.status_code == 401
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none' covers scripts
    assert page.headers["content-security-policy"].startswith("default-src 'none'")


SMART_LINK = {
    "label": "BCR::ABL1 course (SMART app)",
    "url": "http://testserver/smart/launch",
    "type": "smart",
    "autolaunchable": False,
    "autoLaunchable": False,
}


@pytest.mark.parametrize("fhir_server", [ISS, ISS + "/", "HTTPS://EHR.Example.ORG/fhir"])
def test_cards_link_to_the_app_when_the_calling_ehr_is_a_smart_client(smart: TestClient, fhir_server: str) -> None:
    """The call's fhirServer, compared as the settings compare an iss (trailing slash, scheme and host case)."""
    response = smart.post("/cds-services/cml-tki-resistance", json=hook_request(fhirServer=fhir_server))
    cards = response.json()["cards"]
    assert cards
    assert all(card["links"] == [SMART_LINK] for card in cards)


@pytest.mark.parametrize(
    "fhir_server",
    [None, "https://other-ehr.example.org/fhir", "https://ehr.example.org/fhir/other", "https://ehr.example.org"],
)
def test_cards_carry_no_smart_link_unless_the_calling_ehr_can_launch_the_app(
    smart: TestClient, fhir_server: str | None
) -> None:
    """No fhirServer, or one without a SMART client: the launch would answer 400, so there is no link."""
    request = hook_request(fhirServer=fhir_server) if fhir_server else hook_request()
    response = smart.post("/cds-services/cml-tki-resistance", json=request)
    assert response.status_code == 200
    cards = response.json()["cards"]
    assert cards and all("links" not in card for card in cards)


def test_without_smart_clients_no_card_links_to_the_app(tmp_path: Path) -> None:
    settings = Settings(database_path=tmp_path / "cml-cds.sqlite3")
    with TestClient(create_app(settings, today=lambda: TODAY)) as client:
        cards = client.post("/cds-services/cml-tki-resistance", json=hook_request(fhirServer=ISS)).json()["cards"]
    assert cards and all("links" not in card for card in cards)


def test_the_smart_configuration_is_read_once_per_iss_and_again_after_its_ttl(tmp_path: Path) -> None:
    settings = Settings(
        database_path=tmp_path / "cml-cds.sqlite3",
        smart_clients=[SmartClient(iss=ISS, client_id="app-1")],
        smart_configuration_cache_seconds=0.5,
    )
    with TestClient(create_app(settings, today=lambda: TODAY), follow_redirects=False) as client, respx.mock() as mock:
        config = mock.get(f"{ISS}/.well-known/smart-configuration").respond(json=CONFIG)
        for _ in range(5):
            assert client.get("/smart/launch", params={"iss": ISS, "launch": "abc"}).status_code == 302
        assert config.call_count == 1
        time.sleep(0.6)
        assert client.get("/smart/launch", params={"iss": ISS}).status_code == 302
        assert config.call_count == 2


def test_a_launch_is_used_once(smart: TestClient) -> None:
    with respx.mock() as mock:
        params = _launch(smart, mock)
        launched = smart.cookies.get("cmlcds_smart", path="/smart")
        token = mock.post(TOKEN).respond(json={"access_token": "t", "token_type": "Bearer", "patient": "cml-1"})
        assert smart.get("/smart/callback", params={"code": "c", "state": params["state"][0]}).status_code == 302
        smart.cookies.set("cmlcds_smart", launched or "", path="/smart")  # the same launch's redirect, again
        again = smart.get("/smart/callback", params={"code": "c", "state": params["state"][0]})
    assert again.status_code == 400
    assert token.call_count == 1


def test_the_access_token_is_not_in_the_database_file(smart: TestClient, tmp_path: Path) -> None:
    with respx.mock() as mock:
        _authorised(smart, mock)
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("cml-cds.sqlite3*"))
    assert b"smart_session" in stored  # the table is there…
    assert b"secret-token" not in stored and b"cml-1" not in stored  # …and neither the token nor the patient


def test_anonymous_launches_never_evict_a_signed_in_session(smart: TestClient) -> None:
    """2,500 launches that never come back (more than the 2,000 sessions main's in-memory store held)."""
    with respx.mock() as mock:
        _authorised(smart, mock)
        signed_in = smart.cookies.get("cmlcds_smart", path="/smart")
        for _ in range(2500):
            smart.cookies.clear()
            assert smart.get("/smart/launch", params={"iss": ISS}).status_code == 302
        smart.cookies.clear()
        smart.cookies.set("cmlcds_smart", signed_in or "", path="/smart")
        mock.get(f"{ISS}/Patient/cml-1").respond(json={"resourceType": "Patient", "id": "cml-1"})
        mock.get(url__startswith=ISS).respond(json={"resourceType": "Bundle", "type": "searchset", "entry": []})
        course = smart.get("/smart/api/course")
    assert course.status_code == 200, course.text
    runtime = smart.app.state.runtime  # type: ignore[attr-defined]
    assert runtime.sessions.count("pending") == runtime.settings.smart_pending_per_client
