"""The dependency locks (issue #25): every transitive dependency pinned with its hashes, and in step with the
pins of pyproject.toml, so that `pip install --require-hashes` (Makefile, Dockerfile, CI) installs exactly
what was reviewed."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ("service", "dev", "build")
_PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _locked(name: str) -> dict[str, str]:
    """package → version of one lock file (names normalised as PEP 503 does)."""
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements" / f"{name}.txt").read_text().splitlines():
        if match := _PIN.match(line):
            pins[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return pins


def _pinned(specs: list[str]) -> dict[str, str]:
    found = {}
    for spec in specs:
        if match := _PIN.match(spec.replace(" ", "")):
            found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return found


@pytest.mark.parametrize("name", LOCKS)
def test_every_requirement_of_a_lock_is_pinned_with_a_hash(name: str) -> None:
    text = (ROOT / "requirements" / f"{name}.txt").read_text()
    blocks = [b for b in re.split(r"\n(?=\S)", text) if b.strip() and not b.startswith("#")]
    assert blocks
    for block in blocks:
        assert _PIN.match(block), block.splitlines()[0]
        assert "--hash=sha256:" in block, block.splitlines()[0]


def test_the_locks_agree_with_the_pins_of_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    service, dev = _locked("service"), _locked("dev")
    for package, version in _pinned(project["dependencies"]).items():
        assert service.get(package) == version and dev.get(package) == version, package
    for package, version in _pinned(project["optional-dependencies"]["dev"]).items():
        assert dev.get(package) == version, package
    assert {p: v for p, v in dev.items() if p in service} == service  # one version of a package in both locks
