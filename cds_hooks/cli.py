"""`cml-cds`: serve the service, report cards and feedback, write the knowledge review page and the OpenAPI document,
make a clinic worklist from a Bulk Data export."""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from .settings import Settings

__all__ = ["main"]


def _serve(args: argparse.Namespace) -> int:
    """JSON logging is installed before the app is built, so the start-up warning (auth off) is a JSON line.

    Everything that can refuse to start — settings, knowledge tables, the database and its migrations — is
    checked here once, before any worker exists, so a bad configuration is one line on stderr and exit 2.
    With --workers N > 1, metrics are in prometheus-client's multiprocess mode, in a folder made here (or
    `PROMETHEUS_MULTIPROC_DIR` when set) before the workers start, so /metrics adds up all workers.
    """
    settings = get_settings_checked()
    if not settings.authentication and not _loopback(args.host):
        print(
            f"cml-cds: authentication is off; refusing to listen on {args.host} (only 127.0.0.1/::1)", file=sys.stderr
        )
        return 2
    if args.workers < 1:
        print("cml-cds: --workers must be at least 1", file=sys.stderr)
        return 2
    _share_session_key(settings, args.workers)
    with _metrics_folder(args.workers):
        import uvicorn

        from .logs import install_json_logging
        from .workers import reuse_port_supported, serve_workers

        install_json_logging(settings.log_level)
        _check_storage(settings)
        options: dict[str, Any] = {
            "host": args.host,
            "port": args.port,
            "log_level": args.log_level,
            "access_log": False,
            "log_config": None,
            # after SIGTERM, calls in flight get this long; then uvicorn cancels them (their work stops at its
            # next checkpoint, services/budget.py) and the worker exits: never past the supervisor's 30 s
            "timeout_graceful_shutdown": settings.graceful_timeout_seconds,
            # httptools (C) parses HTTP for fewer instructions than h11; the event loop stays asyncio's even where
            # uvloop is installed: under 1,500 callers uvloop left 2,700–3,000 of them to their own 5 s timeout
            # where asyncio answered or refused every one (bench/overload.py; docs/performance.md)
            "http": "httptools",
            "loop": "asyncio",
        }
        if args.workers > 1 and reuse_port_supported():
            # one listening socket per worker (SO_REUSEPORT), so keep-alive connections spread over the workers
            del options["host"], options["port"]
            return serve_workers(args.workers, args.host, args.port, options)
        if args.workers > 1:
            # A worker imports the app (fhir.resources, the knowledge tables) before it answers uvicorn's health
            # ping; on a busy host that can take more than uvicorn's default 5 s, and the worker would be killed.
            options["timeout_worker_healthcheck"] = 60
            uvicorn.run("cds_hooks.cli:worker_app", factory=True, workers=args.workers, **options)
        else:
            uvicorn.run(worker_app(install_logging=False), **options)
    return 0


def _share_session_key(settings: Settings, workers: int) -> None:
    """Without a configured smart_session_key (development), one random key for all workers of this serve, so a
    SMART launch started on one worker finishes on another (spawned workers read it from the environment)."""
    if workers > 1 and settings.smart_session_key is None and not os.environ.get("CMLCDS_SMART_SESSION_KEY"):
        import base64
        import secrets

        os.environ["CMLCDS_SMART_SESSION_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()


def get_settings_checked() -> Settings:
    from .settings import get_settings

    return get_settings()


def worker_app(*, install_logging: bool = True) -> FastAPI:
    """The app of one worker process (uvicorn imports this by name in each worker under --workers)."""
    from .app import create_app
    from .logs import install_json_logging

    settings = get_settings_checked()
    if install_logging:
        install_json_logging(settings.log_level)
    return create_app(settings)


def _check_storage(settings: Settings) -> None:
    """Open the database once (creates and migrates the schema) and load the knowledge tables."""
    from tki_resistance.knowledge.loader import default_knowledge

    from .storage import open_database

    default_knowledge()
    url = settings.database_url.get_secret_value() if settings.database_url else None
    open_database(settings.database_path, url).close()


@contextlib.contextmanager
def _metrics_folder(workers: int) -> Iterator[None]:
    """PROMETHEUS_MULTIPROC_DIR for the workers: a fresh temporary folder, removed at exit, unless one is given.

    Only for N > 1: prometheus-client picks its mode when first imported, which in this process has already
    happened; worker processes import it afresh and see the variable. One worker keeps the process registry.
    """
    if workers == 1 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        yield
        return
    folder = tempfile.mkdtemp(prefix="cml-cds-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    try:
        yield
    finally:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        shutil.rmtree(folder, ignore_errors=True)


def _report(args: argparse.Namespace) -> int:
    """Alert-fatigue report from the configured database (SQLite file or PostgreSQL)."""
    from .report import build_report, render_report
    from .storage import open_database
    from .storage.audit import AuditStore
    from .storage.feedback import FeedbackStore

    since: str | None = args.since
    if since is not None:
        try:
            since = (datetime.fromisoformat(since) if "T" in since else date.fromisoformat(since)).isoformat()
        except ValueError:
            print(f"cml-cds: --since {args.since!r} is not an ISO date (YYYY-MM-DD) or date-time", file=sys.stderr)
            return 2
    settings = get_settings_checked()
    url = settings.database_url.get_secret_value() if settings.database_url else None
    if url is None and not settings.database_path.exists():
        print(f"cml-cds: no database at {settings.database_path}", file=sys.stderr)
        return 2
    database = open_database(settings.database_path, url)
    try:
        reports = build_report(AuditStore(database).all(since), FeedbackStore(database).all(since=since))
    finally:
        database.close()
    sys.stdout.write(render_report(reports, since))
    return 0


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return bool(ipaddress.ip_address(host).is_loopback)
    except ValueError:
        return False


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _knowledge(args: argparse.Namespace) -> int:
    from tki_resistance.knowledge.loader import load_knowledge
    from tki_resistance.knowledge.markdown import render_knowledge

    _write(render_knowledge(load_knowledge()), args.output)
    return 0


def _openapi(args: argparse.Namespace) -> int:
    import tempfile

    from .app import create_app
    from .openapi import render_openapi
    from .settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings(database_path=Path(folder) / "openapi.sqlite3"))
        _write(render_openapi(app), args.output)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cml-cds", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the CDS Hooks service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--workers", type=int, default=1, help="worker processes on the one port (default 1)")
    serve.set_defaults(run=_serve)

    report = commands.add_parser("report", help="per finding code: cards shown, accepted, overridden, acceptance")
    report.add_argument("--since", help="only hook calls and feedback from this ISO date (or date-time) on")
    report.set_defaults(run=_report)

    knowledge = commands.add_parser("knowledge", help="write the knowledge tables as Markdown")
    knowledge.add_argument("--output", help="file to write (default: standard output)")
    knowledge.set_defaults(run=_knowledge)

    openapi = commands.add_parser("openapi", help="write the OpenAPI document of the service")
    openapi.add_argument("--output", help="file to write (default: standard output)")
    openapi.set_defaults(run=_openapi)

    from .plugins import plugin_commands  # here: `cml-cds serve` starts without importing the web framework twice

    for name, (summary, add_arguments) in plugin_commands().items():  # e.g. `worklist`, from the worklist package
        add_arguments(commands.add_parser(name, help=summary))

    args = parser.parse_args(argv)
    try:
        status: int = args.run(args)
    except Exception as exc:  # a start-up failure (bad configuration, malformed knowledge table) in one clear line
        from pydantic import ValidationError

        from tki_resistance.knowledge.loader import KnowledgeError

        from .storage import DatabaseError

        if isinstance(exc, DatabaseError):
            print(f"cml-cds: {exc}", file=sys.stderr)
            return 2
        if isinstance(exc, KnowledgeError):
            print(f"cml-cds: knowledge base invalid: {exc}", file=sys.stderr)
            return 2
        if isinstance(exc, ValidationError | ValueError):
            print(f"cml-cds: configuration refused: {_config_message(exc)}", file=sys.stderr)
            return 2
        raise
    return status


def _config_message(exc: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
    return str(exc)


if __name__ == "__main__":
    raise SystemExit(main())
