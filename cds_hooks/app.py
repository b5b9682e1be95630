"""create_app(): the FastAPI application with its routers, middleware and error handlers."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from fhir_mapping.fhir_client import FhirReader
from fhir_mapping.http_reader import HttpFhirReader
from tki_resistance.knowledge.loader import Knowledge, default_knowledge

from .audit_middleware import AuditMiddleware
from .auth.jwks import HttpxJwksFetcher, JwksFetcher, KeyCache
from .auth.verifier import TokenVerifier
from .errors import CdsError, operation_outcome
from .frame_ancestors import FrameAncestorsMiddleware
from .openapi import install_openapi
from .operations import router as operations_router
from .plugins import SMART_LAUNCH_PATH, plugin_routers, serves
from .routes import router
from .runtime import Runtime
from .settings import Settings, get_settings, session_key_bytes
from .shedding import SheddingMiddleware
from .storage import Database, DatabaseError, open_database
from .storage.audit import AuditStore
from .storage.audit_writer import AuditWriter
from .storage.feedback import FeedbackStore
from .storage.replay import JtiStore
from .storage.sessions import SessionStore

__all__ = ["create_app", "service_version"]

logger = logging.getLogger("cml_cds")


def service_version() -> str:
    try:
        return version("cml-cds")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0+unknown"


def _today() -> date:
    return datetime.now(UTC).date()


def _install_error_handlers(app: FastAPI) -> None:
    async def cds_error(_: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, CdsError):  # pragma: no cover - registered for CdsError only
            raise exc
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if exc.status_code == 401 else exc.headers()
        return JSONResponse(exc.outcome(), status_code=exc.status_code, headers=headers)

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, StarletteHTTPException):  # pragma: no cover - registered for it only
            raise exc
        code = {404: "not-found", 405: "not-supported"}.get(exc.status_code, "processing")
        return JSONResponse(operation_outcome(code, str(exc.detail)), status_code=exc.status_code)

    async def validation_error(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(operation_outcome("invalid", "invalid request"), status_code=400)

    async def database_error(_: Request, exc: Exception) -> JSONResponse:
        logger.error("database unavailable: %s", exc)
        return JSONResponse(operation_outcome("transient", "storage unavailable, retry later"), status_code=503)

    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", exc_info=exc)
        return JSONResponse(operation_outcome("exception", "internal error"), status_code=500)

    app.add_exception_handler(CdsError, cds_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(DatabaseError, database_error)
    app.add_exception_handler(Exception, unexpected)


def _verifier(settings: Settings, fetcher: JwksFetcher | None, replay: JtiStore) -> TokenVerifier | None:
    """The JWT verifier when authentication is on; None (and a loud warning) when it is off."""
    if not settings.authentication:
        logger.warning(
            "authentication is OFF (%s mode): any caller can use the service; never expose it beyond this host",
            settings.mode,
        )
        return None
    keys = KeyCache(
        fetcher or HttpxJwksFetcher(settings.jwks_timeout_seconds, settings.jwks_max_bytes),
        cache_seconds=settings.jwks_cache_seconds,
        min_refresh_seconds=settings.jwks_min_refresh_seconds,
    )
    return TokenVerifier(settings, keys, replay)


def _pseudonym_secret(settings: Settings) -> bytes:
    """The configured secret; in development a random one per start (pseudonyms then only correlate a run)."""
    if settings.pseudonym_secret is not None:
        return settings.pseudonym_secret.get_secret_value().encode("utf-8")
    return secrets.token_bytes(32)


def _session_store(settings: Settings, database: Database) -> SessionStore:
    """SMART launches and sessions under `smart_session_key`; without one (development, never production with
    smart_clients) a random key for this app: sessions then hold within this process only, or within one
    `cml-cds serve`, whose parent hands one random key to all its workers."""
    configured = settings.smart_session_key.get_secret_value() if settings.smart_session_key else None
    key = session_key_bytes(configured) if configured else None
    return SessionStore(
        database,
        key or secrets.token_bytes(32),
        pending_ttl=settings.smart_pending_ttl_seconds,
        session_ttl=settings.smart_session_ttl_seconds,
        pending_per_client=settings.smart_pending_per_client,
    )


#: In development a locally run CDS Hooks Sandbox (http://localhost:3000, http://127.0.0.1:8000) may call.
LOOPBACK_ORIGINS = r"http://(localhost|127\.0\.0\.1)(:[0-9]{1,5})?"


def _origin_pattern(settings: Settings) -> str | None:
    """Origins allowed by pattern: loopback in development, any but `null` for a `*` entry; `null` never
    (a sandboxed iframe or a file: page sends it, and allowing it allows every such page)."""
    patterns = [LOOPBACK_ORIGINS] if settings.mode == "development" else []
    if "*" in settings.cors_origins:
        patterns.append(r"(?!null$)[^\s]+")
    return "|".join(f"(?:{p})" for p in patterns) or None


def create_app(
    settings: Settings | None = None,
    *,
    knowledge: Knowledge | None = None,
    today: Callable[[], date] = _today,
    fhir_reader: FhirReader | None = None,
    jwks_fetcher: JwksFetcher | None = None,
) -> FastAPI:
    """Build the app. Knowledge is loaded (and validated) here, so a bad table stops start-up.

    `jwks_fetcher` replaces the httpx JWK Set download (tests); settings were validated when built.
    """
    settings = settings or get_settings()
    if settings.mode == "production" and settings.metrics_token is None:
        logger.warning("no metrics_token configured: /metrics answers 403 in production (see docs/deploy.md)")
    url = settings.database_url.get_secret_value() if settings.database_url else None
    database = open_database(settings.database_path, url)
    audit = AuditStore(database)
    feedback = FeedbackStore(database)
    replay = JtiStore(database)
    writer = AuditWriter(audit)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        writer.start()
        yield
        writer.close()  # the queued audit rows are written before the database closes
        database.close()

    app = FastAPI(
        lifespan=lifespan,
        title="cml-cds",
        version=service_version(),
        summary="CDS Hooks 2.0 service: TKI response and resistance in chronic myeloid leukaemia",
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = Runtime(
        settings=settings,
        knowledge=knowledge or default_knowledge(),
        feedback=feedback,
        today=today,
        fhir_reader=fhir_reader or HttpFhirReader(settings),
        version=service_version(),
        audit=audit,
        verifier=_verifier(settings, jwks_fetcher, replay),
        pseudonym_secret=_pseudonym_secret(settings),
        database=database,
        audit_writer=writer,
        sessions=_session_store(settings, database),
    )
    app.add_middleware(AuditMiddleware, writer=writer)
    app.add_middleware(SheddingMiddleware, settings=settings)  # outside the audit: a refusal costs no row
    app.add_middleware(FrameAncestorsMiddleware, settings=settings)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[origin for origin in settings.cors_origins if origin not in ("*", "null")],
        allow_origin_regex=_origin_pattern(settings),
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
        allow_credentials=False,
        max_age=600,
    )
    _install_error_handlers(app)
    app.include_router(router)
    app.include_router(operations_router)
    plugins = plugin_routers()  # the SMART app, when installed: it builds on cds_hooks, never the reverse
    for plugin in plugins:
        app.include_router(plugin)
    app.state.smart_launch = serves(plugins, SMART_LAUNCH_PATH)
    install_openapi(app)
    return app
