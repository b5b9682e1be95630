"""`cml-cds worklist`: the arguments, the export (if asked) and the run."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

__all__ = ["COMMAND", "add_arguments", "main"]

DEFAULT_SCOPE = "system/*.rs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--ndjson", type=Path, metavar="DIR", help="folder of Bulk Data NDJSON files (gzip accepted)")
    source.add_argument("--fhir-server", metavar="URL", help="FHIR base URL to run $export against")
    parser.add_argument("--out", type=Path, default=Path("worklist"), help="output folder (default ./worklist)")
    parser.add_argument("--as-of", metavar="DATE", help="assess as of this ISO date (default: today, UTC)")
    parser.add_argument(
        "--fhir-ids", action="store_true", help="show FHIR patient ids instead of pseudonyms (identifying output)"
    )
    parser.add_argument(
        "--pseudonym-secret-file",
        type=Path,
        metavar="FILE",
        help="HMAC key for pseudonyms (else $CMLCDS_PSEUDONYM_SECRET; else a random key: not stable across runs)",
    )
    parser.add_argument("--workers", type=int, default=0, help="worker processes (default: one per CPU)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (none is shown off a terminal)")
    export = parser.add_argument_group("$export (with --fhir-server)")
    export.add_argument("--group", metavar="ID", help="Group/ID/$export (default: system-level $export)")
    export.add_argument("--since", metavar="INSTANT", help="_since: only resources changed since")
    export.add_argument("--client-id", help="SMART Backend Services client id")
    export.add_argument("--private-key", type=Path, metavar="FILE", help="the client's private key (PEM or JWK)")
    export.add_argument("--kid", help="key id registered with the server (default: the JWK's kid or thumbprint)")
    export.add_argument("--alg", choices=("RS384", "ES384"), help="assertion algorithm (default: from the key)")
    export.add_argument("--scope", default=DEFAULT_SCOPE, help=f"scopes to ask for (default {DEFAULT_SCOPE!r})")
    export.add_argument("--token-url", help="token endpoint (default: from .well-known/smart-configuration)")
    export.add_argument("--bearer-token-file", type=Path, metavar="FILE", help="a static access token instead")
    export.add_argument("--download-dir", type=Path, metavar="DIR", help="keep the exported files here")
    export.add_argument("--export-timeout", type=float, default=3600.0, help="seconds to wait for the export")
    parser.set_defaults(run=main)


def _secret(args: argparse.Namespace) -> tuple[bytes, bool]:
    """(key, stable): the file, the environment, or a random key for this run only."""
    if args.pseudonym_secret_file is not None:
        return args.pseudonym_secret_file.read_bytes().strip(), True
    env = os.environ.get("CMLCDS_PSEUDONYM_SECRET")
    if env:
        return env.encode("utf-8"), True
    return secrets.token_bytes(32), False


def _as_of(text: str | None) -> date:
    return date.fromisoformat(text) if text else datetime.now(UTC).date()


def _export(args: argparse.Namespace, folder: Path) -> str:
    """Run $export into `folder`; returns a line for the summary."""
    import httpx

    from .export import BearerToken, run_export
    from .smart import backend_client, discover_token_endpoint, load_key

    base = args.fhir_server.rstrip("/")
    if args.client_id or args.private_key:
        if not (args.client_id and args.private_key):
            raise ValueError("--client-id and --private-key go together")
        key = load_key(args.private_key, args.kid, args.alg)
        with httpx.Client(timeout=30.0, follow_redirects=False, trust_env=False) as plain:
            token_url = args.token_url or discover_token_endpoint(base, plain)
        client = backend_client(args.client_id, key, token_url, args.scope, timeout=60.0)
    else:
        auth = BearerToken(args.bearer_token_file.read_text().strip()) if args.bearer_token_file else None
        client = httpx.Client(auth=auth, timeout=60.0, follow_redirects=False, trust_env=False)
    progress = None if args.no_progress or not sys.stderr.isatty() else _print_progress
    with contextlib.closing(client):  # opened already by the token request: close, never re-enter
        result = run_export(
            client,
            base,
            folder,
            group=args.group,
            since=args.since,
            timeout=args.export_timeout,
            on_progress=progress,
        )
    return (
        f"$export: {len(result.files)} files, {len(result.error_files)} error files, transaction time "
        f"{result.transaction_time or 'not given'}, {result.polls} status polls."
    )


def _print_progress(text: str) -> None:
    print(f"export: {text}", file=sys.stderr)


def main(args: argparse.Namespace) -> int:
    from .runner import Options, run

    try:
        as_of = _as_of(args.as_of)
    except ValueError:
        print(f"cml-cds: --as-of {args.as_of!r} is not an ISO date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    if args.workers < 0:
        print("cml-cds: --workers must be 0 (one per CPU) or more", file=sys.stderr)
        return 2
    secret, stable = _secret(args)
    lines: list[str] = []
    scratch: Path | None = None
    try:
        if args.fhir_server:
            from .export import ExportError
            from .smart import SmartError

            folder = args.download_dir or Path(tempfile.mkdtemp(prefix="cml-export-"))
            scratch = None if args.download_dir else folder
            try:
                lines.append(_export(args, folder))
            except (ExportError, SmartError) as exc:
                print(f"cml-cds: {exc}", file=sys.stderr)
                return 1
        else:
            folder = args.ndjson
            if not folder.is_dir():
                print(f"cml-cds: --ndjson {folder} is not a folder", file=sys.stderr)
                return 2
        options = Options(
            ndjson=folder,
            out=args.out,
            as_of=as_of,
            secret=secret,
            reveal_ids=args.fhir_ids,
            workers=args.workers,
            progress=not args.no_progress,
        )
        summary = run(options)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    if not stable and not args.fhir_ids:
        lines.append(
            "Pseudonyms use a random key for this run only: set CMLCDS_PSEUDONYM_SECRET (or "
            "--pseudonym-secret-file) for pseudonyms that stay the same across runs."
        )
    text = "\n".join([summary.text(), *lines])
    (args.out / "summary.json").write_text(json.dumps({**summary.as_dict(), "notes": lines}, indent=1) + "\n")
    print(f"Worklist as of {as_of.isoformat()}\n{text}")
    return 0


#: What `cml-cds` offers (entry point `cml_cds.commands`: cds_hooks never imports this package).
COMMAND = ("every CML patient who needs action, from a FHIR Bulk Data export (NDJSON or $export)", add_arguments)
