"""Issue #25, item 5: NUL and other control characters never reach stored text, on SQLite and PostgreSQL:
feedback that holds them is 400 (before the database sees it), a service id from the path is stored with
them written as escapes (so the row says they were there)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cds_hooks.app import create_app
from cds_hooks.settings import Settings
from tests.builders import TODAY, hook_request
from tests.postgres_server import PostgresServer

URL = "/cds-services/cml-tki-resistance"


@pytest.fixture(params=["sqlite", "postgresql"])
def stored(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[TestClient, FastAPI]]:
    settings: dict[str, Any] = {"database_path": tmp_path / "d.sqlite3"}
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        settings["database_url"] = server.new_database()
    app = create_app(Settings(**settings), today=lambda: TODAY)
    with TestClient(app) as client:
        yield client, app


def _item(**fields: Any) -> dict[str, Any]:
    return {"card": "card-1", "outcome": "overridden", "outcomeTimestamp": "2026-12-01T10:00:00Z", **fields}


@pytest.mark.parametrize(
    "item",
    [
        _item(card="card\x00-1"),
        _item(outcomeTimestamp="2026-12-01\x00"),
        _item(overrideReason={"userComment": "dose \x00 reduced"}),
        _item(overrideReason={"userComment": "bell \x07"}),
        _item(overrideReason={"reason": {"code": "x\x1b[31m", "system": "s"}}),
        _item(outcome="accepted", acceptedSuggestions=[{"id": "s\x00"}]),
    ],
)
def test_feedback_with_control_characters_is_400_and_nothing_is_stored(
    stored: tuple[TestClient, FastAPI], item: dict[str, Any]
) -> None:
    client, app = stored
    response = client.post(URL + "/feedback", json={"feedback": [item]})
    assert response.status_code == 400, response.text
    assert "control characters" in response.json()["issue"][0]["diagnostics"]
    assert app.state.runtime.feedback.all() == []


def test_a_comment_keeps_its_line_breaks_and_tabs(stored: tuple[TestClient, FastAPI]) -> None:
    client, app = stored
    comment = "line one\nline two\r\n\tindented"
    response = client.post(URL + "/feedback", json={"feedback": [_item(overrideReason={"userComment": comment})]})
    assert response.status_code == 200, response.text
    [row] = app.state.runtime.feedback.all()
    assert row["overrideReason"]["userComment"] == comment


def test_a_service_id_with_a_nul_is_audited_with_the_nul_escaped(stored: tuple[TestClient, FastAPI]) -> None:
    client, app = stored
    assert client.post("/cds-services/x%00y%1F", json=hook_request()).status_code == 404
    assert app.state.runtime.audit_writer.flush()
    rows = app.state.runtime.audit.all()
    assert [(row["service_id"], row["status_code"]) for row in rows] == [("x\\x00y\\x1f", 404)]
