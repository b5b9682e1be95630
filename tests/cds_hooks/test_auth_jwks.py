"""JWK Sets: a real HTTP server on 127.0.0.1, key rotation, the refresh rate limit, what keys are kept."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient

from cds_hooks.app import create_app
from cds_hooks.auth import HttpxJwksFetcher, JwksError, KeyCache
from cds_hooks.auth.jwks import signing_keys
from cds_hooks.settings import Settings, TrustedIssuer
from tests.builders import TODAY, hook_request
from tests.cds_hooks.jwt_signer import BASE, SANDBOX_ISS, Client, FakeFetcher, jwks, new_sandbox_client, sandbox_token


class _JwksServer:
    """A tiny http.server thread serving one JWK Set at /jwks.json and counting requests."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                body = json.dumps(server.document).encode() if self.path == "/jwks.json" else b"{}"
                self.send_response(200 if self.path == "/jwks.json" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"

    def __enter__(self) -> _JwksServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def sandbox() -> Client:
    return new_sandbox_client()


@pytest.fixture
def jwks_server(sandbox: Client) -> Iterator[_JwksServer]:
    with _JwksServer(jwks(sandbox)) as server:
        yield server


def test_a_token_verifies_against_a_jwks_served_over_real_http(
    tmp_path: Path, sandbox: Client, jwks_server: _JwksServer
) -> None:
    """The whole path with the real httpx fetcher: header → allow-listed jku → HTTP GET → key → 200."""
    settings = Settings(
        database_path=tmp_path / "db.sqlite3",
        auth_enabled=True,
        public_base_url=BASE,
        trusted_issuers=[TrustedIssuer(iss=SANDBOX_ISS, allowed_jku=[jwks_server.url])],
    )
    app = create_app(settings, today=lambda: TODAY)
    token = sandbox.sign(_claims(), typ="JWT", jku=jwks_server.url)
    with TestClient(app, base_url=BASE) as client:
        response = client.post(
            "/cds-services/cml-tki-resistance", json=hook_request(), headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200
        evil = sandbox_token(sandbox)  # its jku is the Sandbox's, not allow-listed here: never fetched
        refused = client.post(
            "/cds-services/cml-tki-resistance", json=hook_request(), headers={"Authorization": f"Bearer {evil}"}
        )
        assert refused.status_code == 401
    assert jwks_server.requests == ["/jwks.json"]


def _claims() -> dict[str, Any]:
    import time
    import uuid

    now = int(time.time())
    return {
        "iss": SANDBOX_ISS,
        "aud": f"{BASE}/cds-services/cml-tki-resistance",
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    }


def test_the_httpx_fetcher_refuses_a_missing_set_and_an_oversized_one(jwks_server: _JwksServer) -> None:
    async def run() -> None:
        with pytest.raises(JwksError, match="HTTP 404"):
            await HttpxJwksFetcher(5, 65536).fetch(jwks_server.url.replace("jwks.json", "nothing"))
        with pytest.raises(JwksError, match="over 10 bytes"):
            await HttpxJwksFetcher(5, 10).fetch(jwks_server.url)
        with pytest.raises(JwksError, match="ConnectError"):
            await HttpxJwksFetcher(1, 65536).fetch("http://127.0.0.1:9/jwks.json")

    anyio.run(run)


def test_an_unknown_kid_refetches_after_the_rate_limit_window(sandbox: Client) -> None:
    now = [1000.0]
    url = "https://issuer.example/jwks"
    fetcher = FakeFetcher({url: jwks(sandbox)})
    cache = KeyCache(fetcher, cache_seconds=3600, min_refresh_seconds=60, clock=lambda: now[0])
    rotated = Client("rotated", "ES384", new_sandbox_client().private_key)

    async def run() -> None:
        assert await cache.key(url, sandbox.kid) is not None
        fetcher.sets[url] = jwks(sandbox, rotated)  # the client rotates its keys
        now[0] += 10
        assert await cache.key(url, "rotated") is None  # inside the window: no refetch
        now[0] += 60
        assert await cache.key(url, "rotated") == rotated.jwk  # after it: one refetch finds the new key
        assert await cache.key(url, sandbox.kid) is not None  # no fetch: known and fresh

    anyio.run(run)
    assert fetcher.calls == [url, url]


def test_a_failed_refresh_keeps_the_keys_already_known(sandbox: Client) -> None:
    now = [0.0]
    url = "https://issuer.example/jwks"
    fetcher = FakeFetcher({url: jwks(sandbox)})
    cache = KeyCache(fetcher, cache_seconds=100, min_refresh_seconds=0, clock=lambda: now[0])

    async def run() -> None:
        assert await cache.key(url, sandbox.kid) is not None
        del fetcher.sets[url]
        now[0] = 500.0  # stale, and the issuer is down
        assert await cache.key(url, sandbox.kid) is not None

    anyio.run(run)


def test_only_public_signature_keys_are_kept(sandbox: Client) -> None:
    document = {
        "keys": [
            sandbox.jwk,
            {"kty": "oct", "kid": "shared", "k": "c2VjcmV0"},
            sandbox.jwk | {"kid": "enc", "use": "enc"},
            sandbox.jwk | {"kid": "private", "d": "x"},
            {"kty": "EC", "crv": "P-384"},
        ]
    }
    assert list(signing_keys(document)) == [sandbox.kid]
