"""Verify a CDS client's JWT (CDS Hooks 2.0 §Trusting CDS Clients); every refusal is an AuthFailure.

Order matters: the header and the (unverified) issuer are checked before any key is looked up, so a
token naming an algorithm we refuse, or an issuer or jku we do not trust, never causes a network request.
Only then is the signature verified with the issuer's key, and the claims checked. The reason of a
refusal is for the log, never for the response: it tells an attacker which check to work on.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from starlette.concurrency import run_in_threadpool

from ..settings import Settings, TrustedIssuer
from ..storage.replay import JtiStore
from .jwks import Jwk, JwksError, KeyCache, signing_keys

__all__ = ["ALGORITHMS", "AuthFailure", "TokenVerifier", "VerifiedClient"]

# Asymmetric only: `none` and HMAC (HS256/384/512) are refused by the specification.
ALGORITHMS = {"ES384": ("EC", "P-384"), "RS384": ("RSA", None), "ES256": ("EC", "P-256"), "RS256": ("RSA", None)}
_REQUIRED = ["iss", "aud", "exp", "iat", "jti"]


class AuthFailure(Exception):
    """Why a token was refused; logged, never sent to the client."""


@dataclass(frozen=True)
class VerifiedClient:
    """Who called: enough to audit and to pick the fhirServer allow-list; nothing secret."""

    issuer: TrustedIssuer
    subject: str | None
    tenant: str | None
    kid: str


class TokenVerifier:
    def __init__(
        self,
        settings: Settings,
        keys: KeyCache,
        replay: JtiStore,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuers = {issuer.iss: issuer for issuer in settings.trusted_issuers}
        self.leeway = settings.clock_skew_seconds
        self.max_lifetime = settings.max_token_lifetime_seconds
        self.keys = keys
        self.replay = replay
        self.clock = clock

    async def verify(self, token: str, audience: str) -> VerifiedClient:
        header = _header(token)
        alg, kid = header["alg"], header["kid"]
        issuer = self._issuer(token)
        jwk = await self._key(issuer, kid, header.get("jku"))
        claims = self._claims(token, jwk, alg, issuer, audience)
        if issuer.tenant is not None and claims.get("tenant") != issuer.tenant:
            raise AuthFailure(f"tenant {claims.get('tenant')!r} is not the one configured for {issuer.iss!r}")
        now = self.clock()
        exp = _seconds(claims, "exp")
        if exp - now > self.max_lifetime:
            raise AuthFailure(f"exp is more than {self.max_lifetime} s away")
        jti = claims["jti"]
        if not isinstance(jti, str) or not jti or len(jti) > 256 or not jti.isprintable():
            raise AuthFailure("jti is not a non-empty printable string of at most 256 characters")
        expires = exp + self.leeway
        if not await run_in_threadpool(self.replay.first_use, issuer.iss, jti, expires, now):
            raise AuthFailure(f"jti replayed (iss {issuer.iss!r})")
        sub, tenant = claims.get("sub"), claims.get("tenant")
        return VerifiedClient(
            issuer=issuer,
            subject=sub if isinstance(sub, str) else None,
            tenant=tenant if isinstance(tenant, str) else None,
            kid=kid,
        )

    def _issuer(self, token: str) -> TrustedIssuer:
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise AuthFailure(f"payload unreadable: {type(exc).__name__}") from exc
        iss = unverified.get("iss")
        issuer = self.issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise AuthFailure(f"issuer {_short(iss)!r} is not trusted")
        return issuer

    async def _key(self, issuer: TrustedIssuer, kid: str, jku: Any) -> Jwk:
        if jku is not None:
            if not isinstance(jku, str) or not issuer.jku_allowed(jku):
                raise AuthFailure(f"jku {_short(jku)!r} is not allowed for issuer {issuer.iss!r}")
            url: str | None = jku
        else:
            url = issuer.jwks_url
        if url is None:
            jwk = signing_keys(issuer.jwks or {}).get(kid)
        else:
            try:
                jwk = await self.keys.key(url, kid)
            except JwksError as exc:
                raise AuthFailure(str(exc)) from exc
        if jwk is None and url is not None and issuer.jwks is not None:
            jwk = signing_keys(issuer.jwks).get(kid)
        if jwk is None:
            raise AuthFailure(f"kid {_short(kid)!r} not found for issuer {issuer.iss!r}")
        return jwk

    def _claims(self, token: str, jwk: Jwk, alg: str, issuer: TrustedIssuer, audience: str) -> dict[str, Any]:
        kty, curve = ALGORITHMS[alg]
        if jwk.get("kty") != kty or (curve is not None and jwk.get("crv") != curve):
            raise AuthFailure(f"key {jwk.get('kid')!r} ({jwk.get('kty')}) does not fit alg {alg}")
        if "alg" in jwk and jwk["alg"] != alg:
            raise AuthFailure(f"key {jwk.get('kid')!r} is for {jwk['alg']}, token says {alg}")
        try:
            key = jwt.PyJWK(jwk, algorithm=alg)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=audience,
                issuer=issuer.iss,
                leeway=self.leeway,
                options={"require": _REQUIRED, "strict_aud": False},
            )
        except jwt.PyJWTError as exc:
            raise AuthFailure(f"{type(exc).__name__}: {exc}") from exc
        except (OverflowError, ValueError, TypeError) as exc:  # exp/iat/nbf = 1e400 or 10**400: PyJWT's int()
            raise AuthFailure(f"a numeric claim is out of range ({type(exc).__name__})") from exc
        for name in ("exp", "iat", "nbf"):
            if name in claims:
                _seconds(claims, name)
        return claims


def _header(token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise AuthFailure(f"header unreadable: {type(exc).__name__}") from exc
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise AuthFailure(f"alg {_short(alg)!r} refused")
    if header.get("typ") != "JWT":
        raise AuthFailure(f"typ {_short(header.get('typ'))!r} is not 'JWT'")
    if not isinstance(header.get("kid"), str) or not header["kid"]:
        raise AuthFailure("no kid")
    return header


#: NumericDate claims beyond year 9999 are no time at all; float() of 10**400 would raise OverflowError.
_MAX_NUMERIC_DATE = 253402300799.0


def _seconds(claims: dict[str, Any], name: str) -> float:
    """A NumericDate claim as float seconds, or AuthFailure when it is not a finite, plausible number."""
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AuthFailure(f"{name} is not a number")
    if isinstance(value, int) and not -_MAX_NUMERIC_DATE <= value <= _MAX_NUMERIC_DATE:
        raise AuthFailure(f"{name} is out of range")
    seconds = float(value)
    if not math.isfinite(seconds) or abs(seconds) > _MAX_NUMERIC_DATE:
        raise AuthFailure(f"{name} is out of range")
    return seconds


def _short(value: Any) -> str:
    """Attacker-chosen values go to the log shortened."""
    return str(value)[:120]
