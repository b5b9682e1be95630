"""Issue #25, item 1: ordering work is bounded (draft orders counted while decoding, cards per answer, a
deadline per call) and stops when its client leaves."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Message, Scope

import cds_hooks.services.ordering as ordering_module
from cds_hooks.app import create_app
from cds_hooks.services.budget import CallBudget
from cds_hooks.settings import Settings
from tests.builders import TODAY, hook_request
from tests.order_builders import URLS, draft, order_request

SIGN = URLS["order-sign"]
DRUGS = ("ponatinib", "imatinib", "nilotinib", "dasatinib", "fluconazole")


def _drafts(count: int) -> list[dict[str, Any]]:
    return [draft(DRUGS[i % len(DRUGS)], dose_mg=45) for i in range(count)]


def _app(tmp_path: Path, **settings: Any) -> FastAPI:
    return create_app(Settings(database_path=tmp_path / "d.sqlite3", **settings), today=lambda: TODAY)


@pytest.fixture
def bounded(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(_app(tmp_path)) as client:
        yield client


def _outcome(body: dict[str, Any]) -> dict[str, Any]:
    assert body["resourceType"] == "OperationOutcome"
    issue: dict[str, Any] = body["issue"][0]
    return issue


def test_twenty_thousand_draft_orders_are_413_in_well_under_a_second(bounded: TestClient) -> None:
    body = json.dumps(order_request("order-sign", _drafts(20_000))).encode()
    assert len(body) > 7_000_000
    started = time.perf_counter()
    response = bounded.post(SIGN, content=body, headers={"Content-Type": "application/json"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 413
    issue = _outcome(response.json())
    assert issue["code"] == "too-costly" and "500 draft orders" in issue["diagnostics"]
    assert elapsed < 0.5, elapsed


def test_the_cap_is_500_draft_orders(bounded: TestClient) -> None:
    assert bounded.post(SIGN, json=order_request("order-sign", _drafts(501))).status_code == 413
    response = bounded.post(SIGN, json=order_request("order-sign", _drafts(500)))
    assert response.status_code == 200, response.text


def test_the_cap_cannot_be_configured_above_500() -> None:
    with pytest.raises(ValueError, match="max_draft_orders"):
        Settings(max_draft_orders=501)


def test_an_answer_over_the_card_cap_is_413_before_rendering(tmp_path: Path) -> None:
    with TestClient(_app(tmp_path, max_cards_per_response=2)) as client:
        response = client.post(SIGN, json=order_request("order-sign", _drafts(10)))
    assert response.status_code == 413
    assert "cards" in _outcome(response.json())["diagnostics"]


@pytest.mark.parametrize(
    ("url", "body"), [(SIGN, order_request("order-sign", _drafts(60))), (URLS["order-select"], None)]
)
def test_a_call_past_its_deadline_is_503_timeout(tmp_path: Path, url: str, body: dict[str, Any] | None) -> None:
    with TestClient(_app(tmp_path, call_deadline_seconds=1e-6)) as client:
        response = client.post(url, json=body or order_request("order-select", _drafts(3)))
        view = client.post("/cds-services/cml-tki-resistance", json=hook_request())
    for answer in (response, view):
        assert answer.status_code == 503
        issue = _outcome(answer.json())
        assert issue["code"] == "timeout" and "deadline" in issue["diagnostics"]


def test_the_budget_stops_at_a_checkpoint() -> None:
    budget = CallBudget(60)
    budget.check("start")
    budget.cancel("the client disconnected")
    with pytest.raises(Exception, match="the client disconnected"):
        budget.check("draft orders")


# --- a client that leaves stops its call ----------------------------------------------------------------------


def _scope(path: str) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": {},
    }


async def _post_then_leave(app: FastAPI, path: str, body: bytes, leave_after: float) -> tuple[int, float]:
    """The whole body, then a disconnect after `leave_after` s: (status sent, seconds until the call returned)."""
    sent = False
    statuses: list[int] = []

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(leave_after)
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.perf_counter()
    await app(_scope(path), receive, send)
    return statuses[0], time.perf_counter() - started


def test_a_client_that_leaves_stops_its_drafts_being_assessed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """500 drafts, each made slow (20 ms): 10 s of work. The client leaves after 0.3 s; the worker thread stops
    at its next draft and assesses none after."""
    assessed: list[float] = []
    real: Callable[..., Any] = getattr(ordering_module, "ordering_findings")  # noqa: B009 - not re-exported

    def slow(*args: Any, **kwargs: Any) -> Any:
        checkpoint: Callable[[str], None] = args[4]

        def slow_checkpoint(where: str) -> None:
            checkpoint(where)
            assessed.append(time.monotonic())
            time.sleep(0.02)

        return real(*args[:4], slow_checkpoint)

    monkeypatch.setattr(ordering_module, "ordering_findings", slow)
    app = _app(tmp_path)
    body = json.dumps(order_request("order-sign", _drafts(500))).encode()
    with TestClient(app):
        status, seconds = asyncio.run(_post_then_leave(app, SIGN, body, leave_after=0.3))
        count = len(assessed)
        time.sleep(0.3)
        assert len(assessed) == count  # nothing computed after the call returned
        assert app.state.runtime.audit_writer.flush()
        assert [row["status_code"] for row in app.state.runtime.audit.all()] == [499]
    assert status == 499
    assert seconds < 1.5, seconds
    assert 0 < count < 100, count


class _SlowReader:
    """A FhirReader that takes 30 s, and records whether it was cancelled."""

    def __init__(self) -> None:
        self.cancelled = False

    async def read(self, fhir_server: str, access_token: str | None, queries: Mapping[str, str]) -> dict[str, Any]:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return {}


def test_a_client_that_leaves_cancels_its_fhir_reads(tmp_path: Path) -> None:
    reader = _SlowReader()
    app = create_app(Settings(database_path=tmp_path / "d.sqlite3"), today=lambda: TODAY, fhir_reader=reader)
    request = hook_request(fhirServer="http://127.0.0.1:9/fhir")
    del request["prefetch"]
    with TestClient(app):
        status, seconds = asyncio.run(
            _post_then_leave(app, "/cds-services/cml-tki-resistance", json.dumps(request).encode(), 0.2)
        )
    assert (status, reader.cancelled) == (499, True)
    assert seconds < 2, seconds
