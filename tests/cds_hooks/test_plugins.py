"""Routers other packages declare (entry-point group `cml_cds.routers`): cds_hooks mounts them without
importing them, and cards link to the SMART app only when a mounted router serves its launch path (and a SMART
client is configured for the calling EHR: tests/smart_app/test_launch.py)."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from cds_hooks import app as app_module
from cds_hooks import plugins
from cds_hooks.app import create_app
from cds_hooks.settings import Settings, SmartClient
from tests.builders import TODAY, hook_request


def test_the_smart_app_is_declared_and_serves_the_launch_path() -> None:
    routers = plugins.plugin_routers()
    assert routers and plugins.serves(routers, plugins.SMART_LAUNCH_PATH)


def test_without_a_smart_app_cards_carry_no_link_to_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "plugin_routers", list)  # an install without the SMART app
    iss = "https://ehr.example.org/fhir"
    settings = Settings(
        database_path=tmp_path / "cml-cds.sqlite3", smart_clients=[SmartClient(iss=iss, client_id="app-1")]
    )
    app = create_app(settings, today=lambda: TODAY)
    with TestClient(app) as client:
        assert client.get("/smart/launch").status_code == 404
        cards = client.post("/cds-services/cml-tki-resistance", json=hook_request(fhirServer=iss)).json()["cards"]
    assert cards and all("links" not in card for card in cards)


def test_an_entry_point_that_is_not_a_router_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    declared = [EntryPoint(name="broken", value="cds_hooks.plugins:GROUP", group=plugins.GROUP)]
    monkeypatch.setattr(plugins, "entry_points", lambda group: declared if group == plugins.GROUP else [])
    with pytest.raises(TypeError, match="broken"):
        plugins.plugin_routers()


def test_a_router_serves_a_path_only_with_its_prefix() -> None:
    router = APIRouter(prefix="/smart")
    router.add_api_route("/launch", lambda: None)
    assert plugins.serves([router], "/smart/launch") and not plugins.serves([router], "/launch")
