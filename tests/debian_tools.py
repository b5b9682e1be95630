"""Debian components some tests need (postgresql, nginx, chromium): found, or skipped with one line — failed under CI.

`.ci/run` installs them; on a developer machine without them the test skips naming the package. Under
`CI=true` a missing component must fail, never skip: a green CI that skipped proves nothing.
"""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path

import pytest

__all__ = ["CHROMIUM_FLAGS", "find_chromium", "find_nginx", "find_postgres_bin", "missing"]


def missing(package: str) -> None:
    """Skip (developer machine) or fail (CI) because a Debian package is not installed."""
    message = f"Debian package `{package}` is not installed (apt-get install {package})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " — required under CI=true")
    pytest.skip(message)


def find_postgres_bin() -> Path:
    """The newest /usr/lib/postgresql/*/bin that has initdb and postgres."""
    candidates = sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    for folder in reversed(candidates):
        if (folder / "initdb").exists() and (folder / "postgres").exists():
            return folder
    missing("postgresql")
    raise AssertionError("unreachable")


def find_nginx() -> Path:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if found is None:
        missing("nginx")
    return Path(str(found))


#: Headless, and nothing that would call out of 127.0.0.1 on its own (the browser tests check every request).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find_chromium() -> Path:
    """Debian's /usr/bin/chromium, which playwright drives (no browser is downloaded)."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        missing("chromium")
    return chromium
