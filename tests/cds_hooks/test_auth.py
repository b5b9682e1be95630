"""Trusting CDS clients: each forged or replayed token is a generic 401; real clients' tokens pass."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import hook_request
from tests.cds_hooks.jwt_signer import (
    BASE,
    SANDBOX_ISS,
    SANDBOX_JKU,
    SERVICE_AUD,
    Client,
    FakeFetcher,
    epic_token,
    forge,
    new_sandbox_client,
    sandbox_token,
)

URL = "/cds-services/cml-tki-resistance"


def _call(client: TestClient, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post(URL, json=hook_request(), headers=headers)


def _assert_generic_401(response: Any) -> None:
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json() == {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "login", "diagnostics": "authentication required"}],
    }


def test_a_sandbox_es384_token_passes(auth_client: TestClient, sandbox_client: Client) -> None:
    response = _call(auth_client, sandbox_token(sandbox_client))
    assert response.status_code == 200
    assert "cards" in response.json()


def test_sandbox_iat_half_a_second_ahead_passes(auth_client: TestClient, sandbox_client: Client) -> None:
    # The Sandbox rounds iat; pyjwt reads it as an integer, so test a full second ahead (stricter than 0.5 s).
    assert _call(auth_client, sandbox_token(sandbox_client, now=time.time() + 1)).status_code == 200


def test_an_epic_rs384_token_with_nbf_and_sub_passes(auth_client: TestClient, epic_client: Client) -> None:
    assert _call(auth_client, epic_token(epic_client)).status_code == 200


def test_aud_may_be_an_array(auth_client: TestClient, epic_client: Client) -> None:
    assert _call(auth_client, epic_token(epic_client, aud=[SERVICE_AUD])).status_code == 200


def _pem_hs256(sandbox: Client) -> str:
    now = int(time.time())
    claims = {"iss": SANDBOX_ISS, "aud": SERVICE_AUD, "iat": now, "exp": now + 300, "jti": "hs"}
    return forge({"alg": "HS256", "typ": "JWT", "kid": sandbox.kid, "jku": SANDBOX_JKU}, claims, sandbox.public_pem())


def _alg_none(sandbox: Client) -> str:
    now = int(time.time())
    claims = {"iss": SANDBOX_ISS, "aud": SERVICE_AUD, "iat": now, "exp": now + 300, "jti": "none"}
    return forge({"alg": "none", "typ": "JWT", "kid": sandbox.kid, "jku": SANDBOX_JKU}, claims)


ATTACKS: dict[str, Callable[[Client], str]] = {
    "alg none": _alg_none,
    "HS256 keyed with the public key": _pem_hs256,
    "expired": lambda c: sandbox_token(c, now=time.time() - 600),
    "iat beyond the leeway": lambda c: sandbox_token(c, now=time.time() + 120),
    "aud of discovery": lambda c: sandbox_token(c, aud=f"{BASE}/cds-services"),
    "aud of another host": lambda c: sandbox_token(c, aud="https://other.example.org/cds-services/cml-tki-resistance"),
    "aud over http": lambda c: sandbox_token(c, aud=SERVICE_AUD.replace("https:", "http:")),
    "issuer not trusted": lambda c: sandbox_token(c, iss="https://evil.example.org"),
    "no jti": lambda c: sandbox_token(c, jti=None),
    "typ not JWT": lambda c: c.sign({"iss": SANDBOX_ISS}, typ="at+jwt", jku=SANDBOX_JKU),
    "signed by another key with the same kid": lambda c: sandbox_token(new_sandbox_client()),
    "lifetime over the maximum": lambda c: sandbox_token(c, exp=int(time.time()) + 86400),
    "not a JWT": lambda c: "not-a-jwt",
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_forged_tokens_are_a_generic_401(
    auth_client: TestClient, sandbox_client: Client, attack: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="cml_cds.auth"):
        _assert_generic_401(_call(auth_client, ATTACKS[attack](sandbox_client)))
    reasons = [r for r in caplog.records if r.name == "cml_cds.auth"]
    assert len(reasons) == 1
    assert getattr(reasons[0], "reason", "")  # the reason is logged, not answered


def test_no_token_and_a_non_bearer_scheme_are_401(auth_client: TestClient) -> None:
    _assert_generic_401(_call(auth_client, None))
    response = auth_client.post(URL, json=hook_request(), headers={"Authorization": "Basic dXNlcjpwYXNz"})
    _assert_generic_401(response)


def test_a_replayed_jti_is_refused(auth_client: TestClient, sandbox_client: Client) -> None:
    token = sandbox_token(sandbox_client)
    assert _call(auth_client, token).status_code == 200
    _assert_generic_401(_call(auth_client, token))


def test_a_replay_is_refused_by_a_second_worker_on_the_same_database(
    auth_client: TestClient, auth_app: Any, sandbox_client: Client, jwks_fetcher: FakeFetcher
) -> None:
    from cds_hooks.app import create_app

    token = sandbox_token(sandbox_client)
    assert _call(auth_client, token).status_code == 200
    other = create_app(auth_app.state.runtime.settings, jwks_fetcher=jwks_fetcher)
    with TestClient(other, base_url=BASE) as second_worker:
        _assert_generic_401(_call(second_worker, token))


def test_an_unknown_kid_is_refused_and_does_not_hammer_the_issuer(
    auth_client: TestClient, sandbox_client: Client, jwks_fetcher: FakeFetcher
) -> None:
    assert _call(auth_client, sandbox_token(sandbox_client)).status_code == 200
    assert jwks_fetcher.calls == [SANDBOX_JKU]
    stranger = Client("unknown-kid", "ES384", new_sandbox_client().private_key)
    for _ in range(3):
        _assert_generic_401(_call(auth_client, sandbox_token(stranger)))
    # within jwks_min_refresh_seconds of the last fetch: no refetch (the refresh itself: test_auth_jwks.py)
    assert jwks_fetcher.calls == [SANDBOX_JKU]


def test_a_jku_off_the_allow_list_is_never_fetched(
    auth_client: TestClient, sandbox_client: Client, jwks_fetcher: FakeFetcher
) -> None:
    evil = "https://evil.example.org/jwks.json"
    jwks_fetcher.sets[evil] = {"keys": [sandbox_client.jwk]}
    now = int(time.time())
    claims = {"iss": SANDBOX_ISS, "aud": SERVICE_AUD, "iat": now, "exp": now + 300, "jti": "jku-attack"}
    _assert_generic_401(_call(auth_client, sandbox_client.sign(claims, typ="JWT", jku=evil)))
    assert evil not in jwks_fetcher.calls
    assert jwks_fetcher.calls == []


def test_an_untrusted_issuer_causes_no_key_fetch(
    auth_client: TestClient, sandbox_client: Client, jwks_fetcher: FakeFetcher
) -> None:
    _assert_generic_401(_call(auth_client, sandbox_token(sandbox_client, iss="https://evil.example.org")))
    assert jwks_fetcher.calls == []


def test_discovery_needs_a_token_whose_aud_is_discovery(auth_client: TestClient, epic_client: Client) -> None:
    _assert_generic_401(auth_client.get("/cds-services"))
    wrong = epic_token(epic_client)  # aud is the service, not discovery
    _assert_generic_401(auth_client.get("/cds-services", headers={"Authorization": f"Bearer {wrong}"}))
    right = epic_token(epic_client, aud=f"{BASE}/cds-services")
    response = auth_client.get("/cds-services", headers={"Authorization": f"Bearer {right}"})
    assert response.status_code == 200 and response.json()["services"]


def test_feedback_needs_a_token_whose_aud_is_the_feedback_endpoint(
    auth_client: TestClient, epic_client: Client
) -> None:
    url = f"{URL}/feedback"
    body = {"feedback": [{"card": "c1", "outcome": "overridden", "outcomeTimestamp": "2026-11-22T10:00:00Z"}]}
    _assert_generic_401(auth_client.post(url, json=body))
    token = epic_token(epic_client, aud=f"{BASE}{url}")
    response = auth_client.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == {"stored": 1, "duplicates": 0}


def test_a_tenant_configured_for_the_issuer_must_match(
    tmp_path: Any, sandbox_client: Client, jwks_fetcher: FakeFetcher
) -> None:
    from cds_hooks.app import create_app
    from cds_hooks.settings import Settings, TrustedIssuer

    settings = Settings(
        database_path=tmp_path / "t.sqlite3",
        auth_enabled=True,
        public_base_url=BASE,
        trusted_issuers=[TrustedIssuer(iss=SANDBOX_ISS, allowed_jku=[SANDBOX_JKU], tenant="hospital-a")],
    )
    with TestClient(create_app(settings, jwks_fetcher=jwks_fetcher), base_url=BASE) as client:
        _assert_generic_401(_call(client, sandbox_token(sandbox_client)))
        _assert_generic_401(_call(client, sandbox_token(sandbox_client, tenant="hospital-b")))
        assert _call(client, sandbox_token(sandbox_client, tenant="hospital-a")).status_code == 200


def test_auth_is_off_by_default_in_development(client: TestClient) -> None:
    assert client.post(URL, json=hook_request()).status_code == 200
    assert client.get("/cds-services").status_code == 200
