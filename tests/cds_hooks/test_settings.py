"""Configuration: the TOML file, environment overrides, and production refusing to start unsafely."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
from pathlib import Path

import pytest

from cds_hooks.cli import main
from cds_hooks.settings import Settings

EXAMPLE = Path(__file__).parents[2] / "examples" / "cml-cds.production.toml"


#: A real secret from a secret store: issue #10 made production refuse the example file's placeholder.
STRONG_SECRET = secrets.token_urlsafe(32)
#: The SMART session key the production example needs (it names a SMART client): `openssl rand -base64 32`.
SESSION_KEY = base64.b64encode(secrets.token_bytes(32)).decode()


def test_the_example_production_file_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CMLCDS_CONFIG_FILE", str(EXAMPLE))
    monkeypatch.setenv("CMLCDS_PSEUDONYM_SECRET", STRONG_SECRET)
    monkeypatch.setenv("CMLCDS_SMART_SESSION_KEY", SESSION_KEY)
    settings = Settings()
    assert settings.mode == "production" and settings.authentication
    assert [i.iss for i in settings.trusted_issuers][1] == "https://ehr.hospital-b.example"
    assert settings.trusted_issuers[0].tenant == "hospital-a"


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CMLCDS_CONFIG_FILE", str(EXAMPLE))
    monkeypatch.setenv("CMLCDS_PSEUDONYM_SECRET", STRONG_SECRET)
    monkeypatch.setenv("CMLCDS_SMART_SESSION_KEY", SESSION_KEY)
    monkeypatch.setenv("CMLCDS_PUBLIC_BASE_URL", "https://cds.other.example")
    assert Settings().public_base_url == "https://cds.other.example"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"trusted_issuers": []}, "no trusted_issuers"),
        ({"auth_enabled": False}, "requires authentication"),
        ({"public_base_url": "http://cds.example.org"}, "https public_base_url"),
        ({"pseudonym_secret": "short"}, "pseudonym_secret"),
        ({"pseudonym_secret": "replace-me-with-32-or-more-random-characters"}, "placeholder"),
        ({"pseudonym_secret": "a" * 32}, "low entropy"),
        ({"pseudonym_secret": "abcd" * 16}, "low entropy"),
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
        Settings(trusted_issuers=[{"iss": "x"}])


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


def test_the_example_file_with_its_placeholder_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CMLCDS_CONFIG_FILE", str(EXAMPLE))
    monkeypatch.delenv("CMLCDS_PSEUDONYM_SECRET", raising=False)
    with pytest.raises(ValueError, match="placeholder"):
        Settings()


@pytest.mark.parametrize("mode", ["development", "production"])
def test_authentication_on_requires_public_base_url_in_every_mode(mode: str, tmp_path: Path) -> None:
    issuer = {"iss": "x", "jwks_url": "https://x/jwks"}
    with pytest.raises(ValueError, match="public_base_url"):
        Settings(mode=mode, auth_enabled=True, trusted_issuers=[issuer], database_path=tmp_path / "d")


def _make_serve_mode(tmp_path: Path, **env: str) -> str:
    """The CMLCDS_MODE `make serve` hands to cml-cds (a stand-in script that prints it)."""
    fake = tmp_path / "cml-cds"
    fake.write_text('#!/bin/sh\necho "mode=${CMLCDS_MODE:-}"\n')
    fake.chmod(0o755)
    root = Path(__file__).parents[2]
    stamp = root / ".venv" / ".installed"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CMLCDS_")}
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", str(stamp), "serve", f"BIN={tmp_path}", f"STAMP={stamp}"],
        cwd=root, env=clean | env, capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    return result.stdout.strip().splitlines()[-1]


def test_make_serve_lets_a_config_file_or_cmlcds_mode_win(tmp_path: Path) -> None:
    assert _make_serve_mode(tmp_path) == "mode=development"
    assert _make_serve_mode(tmp_path, CMLCDS_MODE="production") == "mode=production"
    assert _make_serve_mode(tmp_path, CMLCDS_CONFIG_FILE=str(EXAMPLE)) == "mode="  # the file's mode applies
