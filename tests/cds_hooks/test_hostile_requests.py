"""Issue #10 regression rows at the HTTP edge: ids, URLs, JWT claims, sizes, media types, slow and gone clients."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Message, Scope

from cds_hooks.app import create_app
from cds_hooks.settings import Settings
from fhir_mapping.http_reader import HttpFhirReader
from tests.builders import TODAY, hook_request
from tests.cds_hooks.jwt_signer import Client, epic_token

URL = "/cds-services/cml-tki-resistance"
FEEDBACK = URL + "/feedback"


def _diagnostics(response: httpx.Response) -> str:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return str(body["issue"][0]["diagnostics"])


# --- identifiers and URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "patient_id", ["cml-1/../../../admin", "cml 1", "a" * 65, "cml-1?x=1", "cml%2F1", "", ".", ".."]
)
def test_a_patient_id_outside_the_fhir_id_grammar_is_400(client: TestClient, patient_id: str) -> None:
    body = hook_request()
    body["context"]["patientId"] = patient_id
    response = client.post(URL, json=body)
    assert response.status_code == 400
    assert "patientId" in _diagnostics(response)


@pytest.mark.parametrize(
    "fhir_server",
    [
        "http://host/ok#@127.0.0.1:9",
        "http://user:pw@host/fhir",
        "http://host/fhir?x=1",
        "/relative/fhir",
        "ftp://host/fhir",
        "http://host\\@127.0.0.1/fhir",
    ],
)
def test_a_fhir_server_that_is_not_a_plain_base_url_is_400(client: TestClient, fhir_server: str) -> None:
    response = client.post(URL, json=hook_request(fhirServer=fhir_server))
    assert response.status_code == 400
    assert "fhirServer" in _diagnostics(response)


class _Recorder:
    """A real httpx transport that answers an empty Bundle and records every URL it was asked for."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset", "entry": []})


class _Limits:
    fhir_timeout_seconds = 2.0
    fhir_total_budget_seconds = 4.0
    fhir_max_pages = 3
    fhir_max_response_bytes = 1024 * 1024
    fhir_max_call_bytes = 3 * 1024 * 1024
    fhir_max_entries_per_key = 100


@pytest.mark.parametrize(
    "query",
    ["Patient/../../../admin", "../admin", "Patient/%2e%2e/%2e%2e/admin", "//evil.example/x", "Patient/./../../x"],
)
def test_the_reader_never_leaves_the_fhir_server_base_path(query: str) -> None:
    recorder = _Recorder()
    reader = HttpFhirReader(_Limits(), transport=httpx.MockTransport(recorder))
    result = asyncio.run(reader.read("http://fhir.example/base/r4", "token", {"k": query}))
    assert all(url.startswith("http://fhir.example/base/r4/") and "/../" not in url for url in recorder.urls)
    if not recorder.urls:
        assert result["k"]["resourceType"] == "OperationOutcome"


def test_a_next_link_out_of_the_base_path_is_refused() -> None:
    urls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        urls.append(str(request.url))
        link = [{"relation": "next", "url": "http://fhir.example/admin?page=2"}]
        return httpx.Response(200, json={"resourceType": "Bundle", "entry": [], "link": link})

    reader = HttpFhirReader(_Limits(), transport=httpx.MockTransport(answer))
    result = asyncio.run(reader.read("http://fhir.example/base", None, {"k": "Observation?patient=x"}))
    assert urls == ["http://fhir.example/base/Observation?patient=x"]
    assert "outside the fhirServer base" in result["k"]["issue"][0]["diagnostics"]


def test_a_10_mb_hook_instance_is_400_not_stored_in_the_audit(client: TestClient, app: FastAPI) -> None:
    response = client.post(URL, json=hook_request(hookInstance="h" * 10_000_000))
    assert response.status_code == 400 and "hookInstance" in _diagnostics(response)
    assert app.state.runtime.audit_writer.flush()  # audit rows are written after the answer (issue #13)
    assert all(row["hook_instance"] is None for row in app.state.runtime.audit.all())


# --- FHIR responses streamed with caps ------------------------------------------------------------------


class _Endless(httpx.AsyncByteStream):
    """200 MiB of a JSON Bundle, produced 64 KiB at a time, counting what was pulled."""

    def __init__(self) -> None:
        self.pulled = 0

    async def __aiter__(self) -> Any:
        yield b'{"resourceType":"Bundle","entry":['
        chunk = b'{"resource":{"resourceType":"Observation"}},' * 1500
        while self.pulled < 200 * 1024 * 1024:
            self.pulled += len(chunk)
            yield chunk


def test_a_200_mib_answer_is_dropped_at_the_byte_cap_not_read_in_full() -> None:
    stream = _Endless()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, stream=stream))
    result = asyncio.run(HttpFhirReader(_Limits(), transport=transport).read("http://f.example/r4", None, {"k": "O"}))
    assert "byte limit" in result["k"]["issue"][0]["diagnostics"]
    assert stream.pulled < 2 * 1024 * 1024


def _gzip_response(payload: bytes) -> httpx.Response:
    """A gzip-encoded answer, sent as the raw compressed bytes (as a real server would)."""
    return httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(gzip.compress(payload)))


def test_a_gzip_bomb_is_inflated_only_up_to_the_cap() -> None:
    bomb = b'{"resourceType":"Bundle","pad":"' + b"0" * (200 * 1024 * 1024) + b'"}'
    compressed = gzip.compress(bomb)
    assert len(compressed) < 1024 * 1024  # 200 MiB of JSON in a few hundred KiB
    transport = httpx.MockTransport(lambda request: httpx.Response(200, headers={"Content-Encoding": "gzip"},
                                                                   stream=httpx.ByteStream(compressed)))  # fmt: skip
    result = asyncio.run(HttpFhirReader(_Limits(), transport=transport).read("http://f.example/r4", None, {"k": "O"}))
    assert "byte limit" in result["k"]["issue"][0]["diagnostics"]


def test_a_gzip_encoded_bundle_is_read() -> None:
    bundle = {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Observation", "id": "o1"}}]}
    transport = httpx.MockTransport(lambda request: _gzip_response(json.dumps(bundle).encode()))
    result = asyncio.run(HttpFhirReader(_Limits(), transport=transport).read("http://f.example/r4", None, {"k": "O"}))
    assert [e["resource"]["id"] for e in result["k"]["entry"]] == ["o1"]


def test_an_encoding_the_reader_cannot_bound_is_refused() -> None:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, headers={"Content-Encoding": "br"}, content=b"x")
    )
    result = asyncio.run(HttpFhirReader(_Limits(), transport=transport).read("http://f.example/r4", None, {"k": "O"}))
    assert "content-encoding 'br' not accepted" in result["k"]["issue"][0]["diagnostics"]


def test_the_call_cap_counts_all_keys_together() -> None:
    big = {"resourceType": "Bundle", "entry": [], "padding": "x" * (900 * 1024)}  # under the response cap
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=big))
    keys = {f"k{i}": f"Observation?n={i}" for i in range(6)}
    result = asyncio.run(HttpFhirReader(_Limits(), transport=transport).read("http://f.example/r4", None, keys))
    failed = [v for v in result.values() if v["resourceType"] == "OperationOutcome"]
    assert failed and all("this call over" in v["issue"][0]["diagnostics"] for v in failed)
    assert len(failed) < len(keys)


def test_more_entries_than_the_cap_fail_the_key() -> None:
    entries = [{"resource": {"resourceType": "Observation", "id": str(i)}} for i in range(101)]
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json={"resourceType": "Bundle", "entry": entries}))
    result = asyncio.run(HttpFhirReader(_Limits(), transport=transport).read("http://f.example/r4", None, {"k": "O"}))
    assert "more than 100 entries" in result["k"]["issue"][0]["diagnostics"]


# --- JWT numeric claims ---------------------------------------------------------------------------------


@pytest.mark.parametrize("exp", [10**400, float("inf"), 1e300, -(10**400)])
def test_a_signed_token_with_an_absurd_exp_is_401(auth_client: TestClient, epic_client: Client, exp: Any) -> None:
    token = epic_token(epic_client, exp=exp)
    response = auth_client.post(URL, json=hook_request(), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


# --- sizes ----------------------------------------------------------------------------------------------


def test_a_bundle_of_50000_entries_is_413(client: TestClient) -> None:
    body = hook_request()
    body["prefetch"]["conditions"]["entry"] = [{"resource": {"resourceType": "Condition"}}] * 50_000
    response = client.post(URL, json=body)
    assert response.status_code == 413
    assert "conditions" in _diagnostics(response)


def test_two_million_null_entries_are_413(client: TestClient) -> None:
    text = json.dumps(hook_request()).replace('"conditions": {"resourceType": "Bundle", "type": "searchset", '
                                              '"entry": []', '"conditions": {"resourceType": "Bundle", "entry": ['
                                              + ",".join(["null"] * 2_000_000) + "]")  # fmt: skip
    assert len(text) > 9_000_000
    response = client.post(URL, content=text, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "JSON values" in _diagnostics(response)  # refused by counting, before any parsing


def test_900000_null_entries_pass_the_count_but_not_the_bundle_cap(client: TestClient) -> None:
    body = hook_request()
    body["prefetch"]["conditions"]["entry"] = [None] * 900_000
    response = client.post(URL, json=body)
    assert response.status_code == 413 and "conditions" in _diagnostics(response)


def test_the_value_count_holds_at_its_limit_whatever_the_body_length(tmp_path: Path) -> None:
    """The commas are counted only in a body longer than the limit (a comma is a byte): at a limit just under
    the body's comma count the body is refused; at its comma count, and at its length, it is answered."""
    text = json.dumps(hook_request())
    commas = text.count(",")
    for limit, status in ((commas - 1, 413), (commas, 200), (len(text), 200), (len(text) - 1, 200)):
        settings = Settings(database_path=tmp_path / f"{limit}.sqlite3", max_json_values=limit)
        with TestClient(create_app(settings, today=lambda: TODAY)) as limited:
            response = limited.post(URL, content=text, headers={"Content-Type": "application/json"})
        assert response.status_code == status, (limit, response.text[:200])


def test_resources_per_call_are_capped_across_keys(tmp_path: Path) -> None:
    settings = Settings(database_path=tmp_path / "d.sqlite3", max_entries_per_bundle=100, max_resources_per_call=150)
    body = hook_request()
    for key in ("conditions", "procedures"):
        body["prefetch"][key]["entry"] = [{"resource": {"resourceType": "Condition"}}] * 80
    with TestClient(create_app(settings, today=lambda: TODAY)) as small:
        response = small.post(URL, json=body)
    assert response.status_code == 413 and "150 resources" in _diagnostics(response)


# --- media types and feedback bounds --------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x"])
@pytest.mark.parametrize("url", [URL, FEEDBACK])
def test_a_body_that_is_not_json_is_415_with_an_operation_outcome(
    client: TestClient, content_type: str, url: str
) -> None:
    response = client.post(url, content=json.dumps(hook_request()), headers={"Content-Type": content_type})
    assert response.status_code == 415
    assert "not JSON" in _diagnostics(response)


def test_json_with_a_charset_and_fhir_json_are_accepted(client: TestClient) -> None:
    for content_type in ("application/json; charset=utf-8", "application/fhir+json"):
        response = client.post(URL, content=json.dumps(hook_request()), headers={"Content-Type": content_type})
        assert response.status_code == 200


def _feedback(card: str = "card-1", comment: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-11-22T10:00:00Z"}
    if comment is not None:
        item["overrideReason"] = {"userComment": comment}
    return item


@pytest.mark.parametrize(
    "items",
    [
        [_feedback(f"card-{i}") for i in range(200_000)],
        [_feedback("c" * 10_000_000)],
        [_feedback(comment="x" * 100_000)],
    ],
    ids=["200000-items", "10MB-card-id", "100kB-comment"],
)
def test_feedback_is_bounded(client: TestClient, items: list[dict[str, Any]]) -> None:
    response = client.post(FEEDBACK, json={"feedback": items})
    assert response.status_code in (400, 413)
    assert client.post(FEEDBACK, json={"feedback": [_feedback()]}).json()["stored"] == 1


# --- slow and gone clients ------------------------------------------------------------------------------


async def _asgi_post(app: FastAPI, messages: list[dict[str, Any]], hang: bool = False) -> int:
    """POST through the ASGI interface with the given receive messages; the status sent."""
    statuses: list[int] = []
    queue = list(messages)

    async def receive() -> Message:
        if queue:
            return queue.pop(0)
        if hang:
            await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": URL,
        "raw_path": URL.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": {},
    }
    await app(scope, receive, send)
    return statuses[0]


@pytest.fixture
def slow_app(tmp_path: Path) -> Iterator[FastAPI]:
    app = create_app(Settings(database_path=tmp_path / "d.sqlite3", body_read_timeout_seconds=0.3), today=lambda: TODAY)
    with TestClient(app):  # runs the lifespan
        yield app


def test_a_client_that_disconnects_mid_body_is_info_and_audited_499(
    slow_app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    part = {"type": "http.request", "body": b'{"hook": "patient-view", ', "more_body": True}
    assert asyncio.run(_asgi_post(slow_app, [part])) == 499
    assert slow_app.state.runtime.audit_writer.flush()  # audit rows are written after the answer (issue #13)
    assert [row["status_code"] for row in slow_app.state.runtime.audit.all()] == [499]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("disconnected" in r.getMessage() and r.levelno == logging.INFO for r in caplog.records)


def test_a_body_that_never_finishes_is_408_within_the_timeout(slow_app: FastAPI) -> None:
    part = {"type": "http.request", "body": b'{"hook": ', "more_body": True}
    status = asyncio.run(asyncio.wait_for(_asgi_post(slow_app, [part], hang=True), timeout=10))
    assert status == 408


# --- CORS -----------------------------------------------------------------------------------------------


def _preflight(client: TestClient, origin: str) -> httpx.Response:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    response: httpx.Response = client.options(URL, headers=headers)  # TestClient is Any to mypy (httpx2 stubs)
    return response


@pytest.mark.parametrize("origin", ["http://localhost:3000", "http://127.0.0.1:8000", "http://localhost"])
def test_development_allows_a_locally_run_sandbox(client: TestClient, origin: str) -> None:
    response = _preflight(client, origin)
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == origin


@pytest.mark.parametrize("origin", ["null", "http://localhost.evil.example", "http://127.0.0.1.evil.example:80"])
def test_null_and_lookalike_origins_are_refused(client: TestClient, origin: str) -> None:
    assert _preflight(client, origin).status_code == 400


def test_null_is_refused_even_with_a_wildcard(tmp_path: Path) -> None:
    app = create_app(Settings(database_path=tmp_path / "d.sqlite3", cors_origins=["*"]), today=lambda: TODAY)
    with TestClient(app) as wildcard:
        assert _preflight(wildcard, "null").status_code == 400
        assert _preflight(wildcard, "https://anything.example").status_code == 200


def test_production_does_not_allow_loopback_origins(tmp_path: Path) -> None:
    settings = Settings.model_construct(mode="production", database_path=tmp_path / "d.sqlite3")
    with TestClient(create_app(settings, today=lambda: TODAY)) as production:
        assert _preflight(production, "http://localhost:3000").status_code == 400
        assert _preflight(production, "https://sandbox.cds-hooks.org").status_code == 200


# --- caps on data read from fhirServer: 412 with the reason (required), data-excluded (optional) ---------


def _capped_app(tmp_path: Path, oversized: str) -> FastAPI:
    """An app whose reader talks to a FHIR server that answers every query with an empty Bundle, except
    queries for `oversized`, which get a body over the 64 KiB response cap."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(f"/{oversized}"):
            return httpx.Response(200, json={"resourceType": "Bundle", "entry": [], "pad": "x" * 100_000})
        return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset", "entry": []})

    settings = Settings(database_path=tmp_path / "d.sqlite3", fhir_max_response_bytes=64 * 1024)
    reader = HttpFhirReader(settings, transport=httpx.MockTransport(answer))
    return create_app(settings, today=lambda: TODAY, fhir_reader=reader)


def _reading(*missing: str) -> dict[str, Any]:
    body = hook_request(fhirServer="http://fhir.example/r4")
    for key in missing:
        del body["prefetch"][key]
    return body


def test_a_required_key_over_the_byte_cap_is_412_with_the_reason(tmp_path: Path) -> None:
    with TestClient(_capped_app(tmp_path, "Observation")) as capped:
        response = capped.post(URL, json=_reading("bcrAbl1"))
    assert response.status_code == 412
    assert "bcrAbl1" in _diagnostics(response) and "byte limit" in _diagnostics(response)


def test_an_optional_key_over_the_byte_cap_is_data_excluded_with_the_reason(tmp_path: Path) -> None:
    with TestClient(_capped_app(tmp_path, "Condition")) as capped:
        response = capped.post(URL, json=_reading("conditions"))
    assert response.status_code == 200
    excluded = response.json()["extension"]["org.cmlcds.response"]["excluded"]
    [conditions] = [e for e in excluded if e["reference"] == "prefetch conditions"]
    assert "over the 65536 byte limit" in conditions["reason"]
    codes = [card["extension"]["org.cmlcds.finding"]["code"] for card in response.json()["cards"]]
    assert "data-excluded" in codes
