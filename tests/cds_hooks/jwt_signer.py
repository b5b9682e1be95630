"""CDS clients for the auth tests: key pairs, JWK Sets, and tokens signed as real clients sign them.

`sandbox_token` follows the CDS Hooks Sandbox (ES384; kid, jku; iss, aud, exp = iat + 300, jti);
`epic_token` follows Epic (RS384; kid, no jku; adds nbf = iat - 300 and sub = the client id).
`forge` builds tokens no library would sign (alg none, HS256 keyed with the public key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

BASE = "https://cds.example.org"
SERVICE_AUD = f"{BASE}/cds-services/cml-tki-resistance"
SANDBOX_ISS = "https://sandbox.cds-hooks.org"
SANDBOX_JKU = "https://sandbox.cds-hooks.org/.well-known/jwks.json"
EPIC_ISS = "https://fhir.epic.example/interconnect-fhir-oauth/oauth2"
EPIC_JWKS = "https://fhir.epic.example/interconnect-fhir-oauth/api/epic/2019/Security/Open/PublicKeys/jwks"
FHIR_SERVER = "https://fhir.epic.example/interconnect-fhir-oauth/api/FHIR/R4"


@dataclass
class Client:
    kid: str
    alg: str
    private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    jwk: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        algorithm = jwt.get_algorithm_by_name(self.alg)
        public = json.loads(algorithm.to_jwk(self.private_key.public_key()))
        self.jwk = public | {"kid": self.kid, "use": "sig"}

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, claims: Mapping[str, Any], **header: Any) -> str:
        return jwt.encode(dict(claims), self.private_key, algorithm=self.alg, headers={"kid": self.kid} | header)


def jwks(*clients: Client) -> dict[str, Any]:
    return {"keys": [c.jwk for c in clients]}


def new_sandbox_client() -> Client:
    # `alg` is optional in a JWK (RFC 7517); without it the verifier must not guess
    client = Client("sandbox-kid", "ES384", ec.generate_private_key(ec.SECP384R1()))
    client.jwk.pop("alg", None)
    return client


def new_epic_client() -> Client:
    client = Client("epic-kid", "RS384", rsa.generate_private_key(public_exponent=65537, key_size=2048))
    client.jwk.pop("alg", None)  # an RSA JWK without alg: pyjwt alone would assume RS256
    return client


def sandbox_token(client: Client, aud: str = SERVICE_AUD, *, now: float | None = None, **claims: Any) -> str:
    iat = round(now if now is not None else time.time())
    body = {"iss": SANDBOX_ISS, "aud": aud, "exp": iat + 300, "iat": iat, "jti": str(uuid.uuid4())} | claims
    return client.sign(body, typ="JWT", jku=SANDBOX_JKU)


def epic_token(client: Client, aud: str | list[str] = SERVICE_AUD, **claims: Any) -> str:
    iat = int(time.time())
    body = {
        "iss": EPIC_ISS,
        "sub": "d45049c3-3441-40ef-ab4d-b9cd86a17225",
        "aud": aud,
        "jti": uuid.uuid4().hex,
        "nbf": iat - 300,
        "iat": iat,
        "exp": iat + 300,
    } | claims
    return client.sign(body, typ="JWT")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], hmac_key: bytes | None = None) -> str:
    """A compact JWS with any header: unsigned, or HMAC-SHA256 with the given key."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = "" if hmac_key is None else _b64(hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest())
    return f"{signing_input}.{signature}"


class FakeFetcher:
    """A JwksFetcher serving JWK Sets from memory and recording every URL asked for."""

    def __init__(self, sets: dict[str, dict[str, Any]]) -> None:
        self.sets = sets
        self.calls: list[str] = []

    async def fetch(self, url: str) -> dict[str, Any]:
        from cds_hooks.auth import JwksError

        self.calls.append(url)
        if url not in self.sets:
            raise JwksError(f"JWK Set {url}: HTTP 404")
        return self.sets[url]
