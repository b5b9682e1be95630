"""Configuration: the TOML file, environment overrides, and production refusing to start unsafely."""

from __future__ import annotations

from pathlib import Path

import pytest

from cds_hooks.cli import main
from cds_hooks.settings import Settings

EXAMPLE = Path(__file__).parents[2] / "examples" / "cml-cds.production.toml"


def test_the_example_production_file_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CMLCDS_CONFIG_FILE", str(EXAMPLE))
    settings = Settings()
    assert settings.mode == "production" and settings.authentication
    assert [i.iss for i in settings.trusted_issuers][1] == "https://ehr.hospital-b.example"
    assert settings.trusted_issuers[0].tenant == "hospital-a"


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CMLCDS_CONFIG_FILE", str(EXAMPLE))
    monkeypatch.setenv("CMLCDS_PUBLIC_BASE_URL", "https://cds.other.example")
    assert Settings().public_base_url == "https://cds.other.example"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"trusted_issuers": []}, "no trusted_issuers"),
        ({"auth_enabled": False}, "requires authentication"),
        ({"public_base_url": "http://cds.example.org"}, "https public_base_url"),
        ({"pseudonym_secret": "short"}, "pseudonym_secret"),
        ({"cors_origins": ["*"]}, "cors_origins"),
        (
            {"trusted_issuers": [{"iss": "x", "jwks_url": "https://x/j", "fhir_servers": ["http://fhir.example/r4"]}]},
            "not https",
        ),
        ({"trusted_issuers": [{"iss": "x", "jwks_url": "http://x/jwks"}]}, "not https"),
    ],
)
def test_production_refuses_unsafe_settings(
    monkeypatch: pytest.MonkeyPatch, override: dict[str, object], message: str
) -> None:
    monkeypatch.setenv("CMLCDS_CONFIG_FILE", str(EXAMPLE))
    with pytest.raises(ValueError, match=message):
        Settings(**override)  # type: ignore[arg-type]


def test_an_issuer_without_keys_is_refused() -> None:
    with pytest.raises(ValueError, match="give jwks_url, jwks or allowed_jku"):
        Settings(trusted_issuers=[{"iss": "x"}])  # type: ignore[list-item]


def test_a_typo_in_the_settings_is_refused_not_ignored() -> None:
    with pytest.raises(ValueError, match="trusted_issuer"):
        Settings(trusted_issuer=[])  # type: ignore[call-arg]


def test_serve_exits_2_with_a_clear_message_in_unsafe_production(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cds_hooks.settings import get_settings

    get_settings.cache_clear()
    monkeypatch.setenv("CMLCDS_MODE", "production")
    monkeypatch.setenv("CMLCDS_DATABASE_PATH", str(tmp_path / "p.sqlite3"))
    try:
        assert main(["serve"]) == 2
    finally:
        get_settings.cache_clear()
    error = capsys.readouterr().err
    assert error.startswith("cml-cds: configuration refused:") and "no trusted_issuers" in error


def test_serve_refuses_a_public_interface_without_authentication(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cds_hooks.settings import get_settings

    get_settings.cache_clear()
    monkeypatch.setenv("CMLCDS_DATABASE_PATH", str(tmp_path / "d.sqlite3"))
    try:
        assert main(["serve", "--host", "0.0.0.0"]) == 2  # noqa: S104
    finally:
        get_settings.cache_clear()
    assert "authentication is off" in capsys.readouterr().err
