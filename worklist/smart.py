"""SMART Backend Services: an access token by `client_credentials` with a signed JWT client assertion.

SMART App Launch 2.x, "Backend Services": the client authenticates with `private_key_jwt` (RFC 7523) — a
JWT signed with its private key (RS384 or ES384), header `alg`, `kid` (the key's id in the JWK Set the
client registered) and `typ: JWT`, claims `iss` = `sub` = client id, `aud` = the token endpoint, `exp` at most
five minutes ahead, and a fresh `jti`. The OAuth part is Authlib's (its httpx OAuth 2.0 client and its
`PrivateKeyJWT` client authentication); this module only sets the SMART profile's header and lifetime, and
reads the key from a file (PEM, or a JWK as JSON).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc7523.assertion import private_key_jwt_sign
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import ECKey, RSAKey

with warnings.catch_warnings():  # Authlib 1.9 nudges towards httpx2; the project uses httpx throughout
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client

__all__ = ["ASSERTION_LIFETIME", "BackendKey", "SmartError", "backend_client", "discover_token_endpoint", "load_key"]

#: SMART Backend Services: the assertion's `exp` no more than five minutes after it is made.
ASSERTION_LIFETIME = 300
ALGORITHMS = ("RS384", "ES384")


class SmartError(Exception):
    """The token could not be had; the message is safe to print (no key, no token)."""


@dataclass(frozen=True)
class BackendKey:
    """The client's private key, the algorithm it signs with and the `kid` the server knows it by."""

    key: RSAKey | ECKey
    alg: str
    kid: str


def load_key(path: Path, kid: str | None = None, alg: str | None = None) -> BackendKey:
    """A private key from a PEM file or a JWK (JSON); RSA signs RS384, EC P-384 signs ES384. `kid`: given, else
    the JWK's own `kid`, else the key's RFC 7638 thumbprint."""
    data = path.read_bytes()
    key: RSAKey | ECKey
    jwk_kid: str | None = None
    if data.lstrip().startswith(b"{"):
        jwk: dict[str, Any] = json.loads(data)
        jwk_kid = jwk.get("kid") if isinstance(jwk.get("kid"), str) else None
        key = RSAKey.import_key(jwk) if jwk.get("kty") == "RSA" else ECKey.import_key(jwk)
    else:
        private = serialization.load_pem_private_key(data, password=None)
        key = RSAKey.import_key(data) if isinstance(private, rsa.RSAPrivateKey) else ECKey.import_key(data)
    if not key.is_private:
        raise SmartError(f"{path} holds a public key; the client signs with its private key")
    natural = "RS384" if isinstance(key, RSAKey) else "ES384"
    chosen = alg or natural
    if chosen not in ALGORITHMS or chosen != natural:
        raise SmartError(f"a {key.key_type} key cannot sign {chosen}; SMART Backend Services uses RS384 or ES384")
    if isinstance(key, ECKey) and key.curve_name != "P-384":
        raise SmartError(f"ES384 needs a P-384 key, not {key.curve_name}")
    return BackendKey(key=key, alg=chosen, kid=kid or jwk_kid or key.thumbprint())


class SmartAssertion(PrivateKeyJWT):  # type: ignore[misc]  # Authlib ships no type information
    """Authlib's `private_key_jwt` with the SMART header (`kid`, `typ`) and a five-minute, single-use assertion."""

    def __init__(self, token_endpoint: str, key: BackendKey, jku: str | None = None) -> None:
        super().__init__(token_endpoint, alg=key.alg)
        self.kid = key.kid
        self.jku = jku

    def sign(self, auth: Any, token_endpoint: str) -> str:
        header = {"kid": self.kid, "typ": "JWT"} | ({"jku": self.jku} if self.jku else {})
        # claims=None: Authlib makes a fresh dict, so every assertion gets its own jti
        assertion: str = private_key_jwt_sign(
            auth.client_secret,
            client_id=auth.client_id,
            token_endpoint=token_endpoint,
            alg=self.alg,
            header=header,
            expires_in=ASSERTION_LIFETIME,
        )
        return assertion


def discover_token_endpoint(base_url: str, client: httpx.Client) -> str:
    """`token_endpoint` from `{base}/.well-known/smart-configuration`."""
    url = base_url.rstrip("/") + "/.well-known/smart-configuration"
    try:
        response = client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise SmartError(f"{url} could not be read ({type(exc).__name__})") from exc
    if response.status_code != 200:
        raise SmartError(f"{url} answered HTTP {response.status_code}")
    try:
        config = response.json()
    except ValueError as exc:
        raise SmartError(f"{url} is not JSON") from exc
    token = config.get("token_endpoint") if isinstance(config, dict) else None
    if not isinstance(token, str):
        raise SmartError(f"{url} names no token_endpoint")
    return token


def backend_client(
    client_id: str, key: BackendKey, token_endpoint: str, scope: str, timeout: float, jku: str | None = None, **kw: Any
) -> Any:
    """An httpx client (Authlib's OAuth2Client) that holds a Backend Services token and fetches a new one when it
    is about to expire (`grant_type=client_credentials` is re-run: Backend Services issues no refresh token)."""
    client = OAuth2Client(
        client_id=client_id,
        client_secret=key.key,
        token_endpoint_auth_method=SmartAssertion(token_endpoint, key, jku),
        scope=scope,
        token_endpoint=token_endpoint,
        grant_type="client_credentials",
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        **kw,
    )
    try:
        client.fetch_token(token_endpoint, grant_type="client_credentials")
    except Exception as exc:  # Authlib raises its OAuthError, httpx its HTTPError
        client.close()
        raise SmartError(f"no access token from {token_endpoint}: {exc}") from exc
    return client
