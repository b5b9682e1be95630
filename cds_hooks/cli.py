"""`cml-cds`: serve the service, write the knowledge review page, write the OpenAPI document."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def _serve(args: argparse.Namespace) -> int:
    """JSON logging is installed before the app is built, so the start-up warning (auth off) is a JSON line."""
    import uvicorn

    from .app import create_app
    from .logs import install_json_logging
    from .settings import get_settings

    settings = get_settings()
    if not settings.authentication and not _loopback(args.host):
        print(
            f"cml-cds: authentication is off; refusing to listen on {args.host} (only 127.0.0.1/::1)", file=sys.stderr
        )
        return 2
    install_json_logging(settings.log_level)
    app = create_app(settings)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False, log_config=None)
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
    from tki_resistance.knowledge_base import load_knowledge
    from tki_resistance.knowledge_markdown import render_knowledge

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
    serve.set_defaults(run=_serve)

    knowledge = commands.add_parser("knowledge", help="write the knowledge tables as Markdown")
    knowledge.add_argument("--output", help="file to write (default: standard output)")
    knowledge.set_defaults(run=_knowledge)

    openapi = commands.add_parser("openapi", help="write the OpenAPI document of the service")
    openapi.add_argument("--output", help="file to write (default: standard output)")
    openapi.set_defaults(run=_openapi)

    args = parser.parse_args(argv)
    try:
        status: int = args.run(args)
    except Exception as exc:  # a start-up failure (bad configuration, malformed knowledge table) in one clear line
        from pydantic import ValidationError

        from tki_resistance.knowledge_base import KnowledgeError

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
