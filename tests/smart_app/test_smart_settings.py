"""`smart_clients`: from the environment as JSON, compared as URLs, refused when unsafe; the session key."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest

from cds_hooks.settings import Settings
from tests.cds_hooks.test_settings import SESSION_KEY, STRONG_SECRET

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
    monkeypatch.setenv("CMLCDS_SMART_SESSION_KEY", SESSION_KEY)
    client = Settings().smart_client("https://fhir.hospital-a.example/interconnect-fhir-oauth/api/FHIR/R4/")
    assert client is not None and client.client_id == "cml-cds-smart"


def _production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CMLCDS_CONFIG_FILE", str(EXAMPLE))  # names a SMART client
    monkeypatch.setenv("CMLCDS_PSEUDONYM_SECRET", STRONG_SECRET)


def test_production_with_smart_clients_refuses_to_start_without_a_session_key(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch)
    with pytest.raises(ValueError, match=r"requires a smart_session_key .*openssl rand -base64 32"):
        Settings()
    assert Settings(smart_clients=[]).smart_session_key is None  # no SMART app, no sessions: not needed


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("c2hvcnQ=", "32 random bytes in base64"),  # 5 bytes
        ("not base64 at all!", "32 random bytes in base64"),
        (base64.b64encode(bytes(32)).decode(), "not random"),  # 32 zero bytes
        (base64.b64encode(b"abcd" * 8).decode(), "not random"),
        ("replace-me" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()[10:], "placeholder"),
    ],
)
def test_production_refuses_a_weak_or_malformed_session_key(
    monkeypatch: pytest.MonkeyPatch, key: str, message: str
) -> None:
    _production(monkeypatch)
    monkeypatch.setenv("CMLCDS_SMART_SESSION_KEY", key)
    with pytest.raises(ValueError, match=message):
        Settings()


def test_a_generated_key_is_accepted_in_either_base64_alphabet(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch)
    raw = secrets.token_bytes(32)
    for key in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("=")):
        monkeypatch.setenv("CMLCDS_SMART_SESSION_KEY", key)
        assert Settings().smart_session_key is not None


def test_a_malformed_session_key_is_refused_in_development_too() -> None:
    with pytest.raises(ValueError, match="smart_session_key must be 32 random bytes"):
        Settings(smart_session_key="too-short")
