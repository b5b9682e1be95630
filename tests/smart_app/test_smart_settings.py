"""`smart_clients`: from the environment as JSON, compared as URLs, refused when unsafe."""

from __future__ import annotations

from pathlib import Path

import pytest

from cds_hooks.settings import Settings
from tests.cds_hooks.test_settings import STRONG_SECRET

EXAMPLE = Path(__file__).parents[2] / "examples" / "cml-cds.production.toml"


def test_smart_clients_come_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CMLCDS_SMART_CLIENTS", '[{"iss": "https://EHR.example.org/fhir/", "client_id": "app-1"}]')
    settings = Settings()
    client = settings.smart_client("https://ehr.example.org/fhir")
    assert client is not None and client.client_id == "app-1"
    assert settings.smart_client("https://ehr.example.org/fhir/other") is None
    assert settings.smart_client("https://ehr.example.org") is None


def test_an_iss_listed_twice_is_refused() -> None:
    twice = [{"iss": "https://a.example/fhir", "client_id": "1"}, {"iss": "https://a.example/fhir/", "client_id": "2"}]
    with pytest.raises(ValueError, match="smart_clients: an iss is listed twice"):
        Settings(smart_clients=twice)


def test_production_refuses_a_plain_http_smart_iss(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CMLCDS_CONFIG_FILE", str(EXAMPLE))
    monkeypatch.setenv("CMLCDS_PSEUDONYM_SECRET", STRONG_SECRET)
    with pytest.raises(ValueError, match=r"smart client 'http://ehr\.example/fhir': not https"):
        Settings(smart_clients=[{"iss": "http://ehr.example/fhir", "client_id": "1"}])


def test_the_production_example_names_a_smart_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CMLCDS_CONFIG_FILE", str(EXAMPLE))
    monkeypatch.setenv("CMLCDS_PSEUDONYM_SECRET", STRONG_SECRET)
    client = Settings().smart_client("https://fhir.hospital-a.example/interconnect-fhir-oauth/api/FHIR/R4/")
    assert client is not None and client.client_id == "cml-cds-smart"
