"""Service configuration: defaults < settings file (TOML) < environment variables (prefix `CMLCDS_`).

The defaults are the embedded development set-up `make serve` runs: SQLite beside the checkout, the
bundled knowledge base, 127.0.0.1:8080, authentication off. A deployment names a TOML file in
`CMLCDS_CONFIG_FILE` (see `examples/cml-cds.production.toml`); environment variables override it.

Production mode is validated when the settings are built, so a service that would trust nobody, or trust
over plain http, never starts: the CDS Hooks client is authenticated by a signed JWT whose keys come from
a JWK Set URL, and a `fhirServer` receives a bearer access token — both need TLS to mean anything.
"""

from __future__ import annotations

import base64
import binascii
import math
import os
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = [
    "CONFIG_FILE_VARIABLE",
    "Settings",
    "SmartClient",
    "TrustedIssuer",
    "get_settings",
    "normalise_url",
    "session_key_bytes",
    "weak_secret",
    "weak_session_key",
]

CONFIG_FILE_VARIABLE = "CMLCDS_CONFIG_FILE"
Mode = Literal["development", "production"]


def normalise_url(url: str) -> str:
    """Compare URLs without a trailing slash; the scheme and host are case-insensitive, the path is not."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}{query}"


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, lower-cased (an origin as CSP and browsers compare it)."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class TrustedIssuer(BaseModel):
    """One CDS client the service trusts: who signs (`iss`), where its keys are, which FHIR servers it may name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    iss: str = Field(min_length=1, description="the JWT `iss` claim, compared exactly")
    jwks_url: str | None = Field(default=None, description="the issuer's JWK Set URL (used when the JWT has no jku)")
    jwks: dict[str, Any] | None = Field(default=None, description="an inline JWK Set ({'keys': [...]}), out of band")
    allowed_jku: list[str] = Field(default=[], description="`jku` header values the service may follow")
    fhir_servers: list[str] = Field(default=[], description="`fhirServer` base URLs the service may read")
    tenant: str | None = Field(default=None, description="when set, the JWT `tenant` claim must equal it")

    @model_validator(mode="after")
    def _has_keys(self) -> TrustedIssuer:
        if self.jwks_url is None and self.jwks is None and not self.allowed_jku:
            raise ValueError(f"trusted issuer {self.iss!r}: give jwks_url, jwks or allowed_jku")
        return self

    def jku_allowed(self, jku: str) -> bool:
        """The issuer's own jwks_url is always allowed as a jku; anything else must be listed."""
        listed = [*self.allowed_jku, *([self.jwks_url] if self.jwks_url else [])]
        return normalise_url(jku) in {normalise_url(url) for url in listed}

    def fhir_server_allowed(self, fhir_server: str) -> bool:
        return normalise_url(fhir_server) in {normalise_url(url) for url in self.fhir_servers}


class SmartClient(BaseModel):
    """An EHR that may launch the SMART app: its FHIR base URL (`iss`) and the app's client_id registered there."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    iss: str = Field(min_length=1, description="the EHR's FHIR base URL, as the launch's `iss` names it")
    client_id: str = Field(min_length=1, description="the SMART app's public client_id at that EHR")
    frame_ancestors: list[str] = Field(
        default=[],
        description=(
            "origins besides the EHR's own (the origin of `iss`) that may frame the SMART app, e.g. the EHR's web"
            " client on another host; `/smart` answers carry `frame-ancestors` with these and nothing else"
        ),
    )

    @model_validator(mode="after")
    def _origins(self) -> SmartClient:
        for origin in self.frame_ancestors:
            if origin_of(origin) != origin.rstrip("/").lower() or not origin.lower().startswith(
                ("https://", "http://")
            ):
                raise ValueError(
                    f"smart client {self.iss!r}: frame_ancestors {origin!r} is not an origin (scheme://host[:port])"
                )
        return self

    def ancestors(self) -> list[str]:
        """The origins that may frame the app for this EHR: its own, then the listed ones."""
        own = origin_of(self.iss)
        return [own] + [o.rstrip("/").lower() for o in self.frame_ancestors if o.rstrip("/").lower() != own]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CMLCDS_", extra="forbid")

    mode: Mode = Field(default="development", description="development (defaults for a laptop) or production")
    auth_enabled: bool | None = Field(
        default=None, description="require a CDS client JWT; default: on in production, off in development"
    )
    trusted_issuers: list[TrustedIssuer] = Field(default=[], description="the CDS clients the service trusts")
    public_base_url: str | None = Field(
        default=None,
        description="URL under which /cds-services is reachable (behind a proxy); JWT `aud` is built from it",
    )
    clock_skew_seconds: float = Field(
        default=5.0, ge=0, le=60, description="leeway on exp/iat/nbf (the CDS Hooks Sandbox's iat can be 0.5 s ahead)"
    )
    max_token_lifetime_seconds: int = Field(
        default=3600, gt=0, description="a JWT whose exp is further away than this is refused (bounds the jti store)"
    )
    jwks_timeout_seconds: float = Field(default=5.0, gt=0, description="per JWK Set download")
    jwks_cache_seconds: float = Field(default=3600.0, gt=0, description="how long a downloaded JWK Set is used")
    jwks_min_refresh_seconds: float = Field(
        default=60.0, ge=0, description="an unknown kid refetches a JWK Set at most this often"
    )
    jwks_max_bytes: int = Field(default=64 * 1024, gt=0, description="largest JWK Set accepted")
    pseudonym_secret: SecretStr | None = Field(
        default=None, description="HMAC key for the patient pseudonyms in logs; random per start in development"
    )
    log_level: str = Field(default="INFO", description="root log level of `cml-cds serve`")

    database_path: Path = Field(default=Path("var/cml-cds.sqlite3"), description="SQLite file (feedback, audit)")
    database_url: SecretStr | None = Field(
        default=None,
        description="postgresql://user:pass@host:port/db: feedback, audit and seen JWT ids in PostgreSQL, not SQLite",
    )
    max_body_bytes: int = Field(
        default=32 * 1024 * 1024, gt=0, description="request body limit; 413 above (10,000 results ≈ 8 MiB)"
    )
    cors_origins: list[str] = Field(
        default=["https://sandbox.cds-hooks.org"], description="browser origins allowed to call the service"
    )
    fhir_timeout_seconds: float = Field(default=5.0, gt=0, description="per request to the EHR's FHIR server")
    fhir_total_budget_seconds: float = Field(default=10.0, gt=0, description="all FHIR reads of one hook call")
    fhir_max_pages: int = Field(default=50, gt=0, description="`next` links followed per prefetch key")
    smart_clients: list[SmartClient] = Field(
        default=[], description="SMART app: the EHRs (iss) that may launch it; any other iss is refused"
    )
    smart_session_key: SecretStr | None = Field(
        default=None,
        description="SMART app: AES-256-GCM key (32 random bytes, base64) encrypting launches and sessions at rest;"
        " required in production when smart_clients are set; random per `cml-cds serve` in development",
    )
    smart_pending_ttl_seconds: float = Field(
        default=300.0,
        gt=0,
        le=3600,
        description="SMART app: a launch not back from sign-in within this expires",
    )
    smart_session_ttl_seconds: float = Field(
        default=3600.0, gt=0, le=86400, description="SMART app: a signed-in session (and its cookie) lasts this long"
    )
    smart_pending_per_client: int = Field(
        default=20,
        gt=0,
        description="SMART app: pending launches kept per client address (oldest dropped; never a signed-in session)",
    )
    smart_configuration_cache_seconds: float = Field(
        default=300.0, ge=0, description="SMART app: how long an EHR's .well-known/smart-configuration is reused"
    )
    fhir_max_response_bytes: int = Field(
        default=8 * 1024 * 1024, gt=0, description="largest FHIR response body read (streamed; dropped above)"
    )
    fhir_max_call_bytes: int = Field(
        default=32 * 1024 * 1024, gt=0, description="all FHIR response bodies of one hook call together"
    )
    fhir_max_entries_per_key: int = Field(default=10_000, gt=0, description="Bundle entries read per prefetch key")
    max_entries_per_bundle: int = Field(
        default=20_000, gt=0, description="entries in one prefetch Bundle; 413 above (a patient has hundreds)"
    )
    max_resources_per_call: int = Field(
        default=50_000, gt=0, description="resources in all prefetch values of one call; 413 above"
    )
    max_json_values: int = Field(
        default=1_000_000,
        gt=0,
        description="JSON values in one body, counted by its commas before parsing; 413 above (10,000 results ≈ 120k)",
    )
    body_read_timeout_seconds: float = Field(
        default=30.0, gt=0, description="a request body not received within this is answered 408"
    )
    max_draft_orders: int = Field(
        default=500,
        gt=0,
        le=500,
        description="entries in context.draftOrders of one ordering call, counted while decoding; 413 above",
    )
    max_cards_per_response: int = Field(
        default=200,
        gt=0,
        description="cards one call may answer, checked before rendering; 413 above (an order set makes tens)",
    )
    call_deadline_seconds: float = Field(
        default=10.0,
        gt=0,
        description="the synchronous work of one hook call (mapping, algorithm, cards): 503 when over it",
    )
    max_concurrent_calls: int = Field(
        default=32, gt=0, description="hook calls in progress at once per worker process; more wait in the queue"
    )
    max_queued_calls: int = Field(
        default=64, ge=0, description="hook calls waiting for a slot per worker; beyond this 503 at once"
    )
    queue_timeout_seconds: float = Field(
        default=1.0, ge=0, description="how long a hook call may wait for a slot before it is answered 503"
    )
    max_concurrent_feedback: int = Field(
        default=8, gt=0, description="feedback posts in progress at once per worker (a budget apart from hook calls)"
    )
    retry_after_seconds: int = Field(default=2, gt=0, le=120, description="`Retry-After` of a 503 for overload")
    graceful_timeout_seconds: float = Field(
        default=20.0,
        gt=0,
        le=25,
        description="after SIGTERM, how long calls in flight may finish before they are cancelled and the worker exits",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description=(
            "bearer token /metrics requires in production (Authorization: Bearer …); production without one"
            " answers /metrics 403 to everyone"
        ),
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment, then the TOML file named by CMLCDS_CONFIG_FILE (if any)."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get(CONFIG_FILE_VARIABLE)
        if config_file:
            path = Path(config_file)
            if not path.is_file():
                raise ValueError(f"{CONFIG_FILE_VARIABLE}={config_file}: no such file")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def authentication(self) -> bool:
        """Whether hook calls, discovery and feedback need a valid CDS client JWT."""
        return self.auth_enabled if self.auth_enabled is not None else self.mode == "production"

    def smart_client(self, iss: str) -> SmartClient | None:
        """The configured SMART client for a launch's `iss`, compared as normalise_url does; None = refuse."""
        wanted = normalise_url(iss)
        return next((client for client in self.smart_clients if normalise_url(client.iss) == wanted), None)

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def problems(self) -> list[str]:
        """Why this configuration must not serve; empty when it may."""
        problems: list[str] = []
        if self.authentication and not self.trusted_issuers:
            problems.append("authentication is on but no trusted_issuers are configured")
        if self.authentication and not self.public_base_url:
            problems.append(
                "authentication is on but public_base_url is not set (the JWT audience must not come from the Host"
                " header)"
            )
        if self.database_url is not None and urlsplit(self.database_url.get_secret_value()).scheme not in (
            "postgresql",
            "postgres",
        ):
            problems.append("database_url must be a postgresql:// URL")
        seen = [issuer.iss for issuer in self.trusted_issuers]
        if len(seen) != len(set(seen)):
            problems.append("trusted_issuers: an iss is listed twice")
        smart = [normalise_url(client.iss) for client in self.smart_clients]
        if len(smart) != len(set(smart)):
            problems.append("smart_clients: an iss is listed twice")
        key = self.smart_session_key.get_secret_value() if self.smart_session_key is not None else None
        if key is not None and session_key_bytes(key) is None:
            problems.append(f"smart_session_key must be 32 random bytes in base64 ({SESSION_KEY_HOWTO})")
        if self.mode != "production":
            return problems
        if self.smart_clients and key is None:
            problems.append(f"production mode with smart_clients requires a smart_session_key ({SESSION_KEY_HOWTO})")
        elif key is not None and session_key_bytes(key) is not None and (weak := weak_session_key(key)) is not None:
            problems.append(f"production mode refuses this smart_session_key: {weak}")
        if self.auth_enabled is False:
            problems.append("production mode requires authentication (auth_enabled must not be false)")
        if not self.public_base_url or not _https(self.public_base_url):
            problems.append("production mode requires an https public_base_url (the JWT audience is built from it)")
        if self.pseudonym_secret is None or len(self.pseudonym_secret.get_secret_value()) < 32:
            problems.append("production mode requires a pseudonym_secret of at least 32 characters")
        elif (weak := weak_secret(self.pseudonym_secret.get_secret_value())) is not None:
            problems.append(f"production mode refuses this pseudonym_secret: {weak}")
        if "*" in self.cors_origins:
            problems.append("production mode refuses cors_origins '*'")
        if self.metrics_token is not None and (weak := _weak_token(self.metrics_token.get_secret_value())):
            problems.append(f"production mode refuses this metrics_token: {weak}")
        for issuer in self.trusted_issuers:
            urls = [*issuer.allowed_jku, *issuer.fhir_servers, *([issuer.jwks_url] if issuer.jwks_url else [])]
            problems.extend(
                f"trusted issuer {issuer.iss!r}: {url!r} is not https (production refuses plain http)"
                for url in urls
                if not _https(url)
            )
        problems.extend(
            f"smart client {client.iss!r}: not https (production refuses plain http)"
            for client in self.smart_clients
            if not _https(client.iss)
        )
        return problems


#: Words of the placeholders in the README and examples/: a copied example is not a secret.
_PLACEHOLDER_WORDS = ("replace-me", "replace me", "changeme", "change-me", "placeholder", "example", "secret")
#: Shannon entropy of the characters × length; `openssl rand -base64 32` gives about 200 bits.
MIN_SECRET_BITS = 96.0


def weak_secret(secret: str) -> str | None:
    """Why a pseudonym secret is guessable (a placeholder, or too few distinct characters), or None."""
    lowered = secret.lower()
    if any(word in lowered for word in _PLACEHOLDER_WORDS):
        return "it is a placeholder from the documentation"
    counts = Counter(secret)
    bits = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values()) * len(secret)
    if len(counts) < 8 or bits < MIN_SECRET_BITS:
        return f"low entropy (about {bits:.0f} bits; use e.g. `openssl rand -base64 32`)"
    return None


SESSION_KEY_HOWTO = "generate one with `openssl rand -base64 32`"


def session_key_bytes(key: str) -> bytes | None:
    """The 32-byte AES-256 key a base64 (standard or URL-safe, padding optional) text names; None otherwise."""
    text = key.strip().replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def weak_session_key(key: str) -> str | None:
    """Why a well-formed session key is guessable (a documentation placeholder, or too few distinct bytes)."""
    lowered = key.lower()
    if any(word in lowered for word in _PLACEHOLDER_WORDS):
        return "it is a placeholder from the documentation"
    raw = session_key_bytes(key) or b""
    if len(set(raw)) < 16:  # 32 random bytes have ~30 distinct values; fewer than 16 is a pattern, not chance
        return f"only {len(set(raw))} distinct byte values: not random ({SESSION_KEY_HOWTO})"
    return None


def _weak_token(token: str) -> str | None:
    if len(token) < 32:
        return "shorter than 32 characters"
    return weak_secret(token)


def _https(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.netloc)


@cache
def get_settings() -> Settings:
    return Settings()
