"""HL7 FHIR example packages from the npm registry, fetched once into `<repo>/.cache/hl7/` (gitignored).

Externally authored FHIR is the honest test of a mapping: these examples were not written to fit it.
`npm pack NAME@VERSION` downloads the tarball without installing anything; it is untarred beside it.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE = REPO_ROOT / ".cache" / "hl7"
PACKAGES = (
    ("hl7.fhir.us.mcode", "4.0.0"),
    ("hl7.fhir.uv.genomics-reporting", "3.0.0"),
    ("hl7.fhir.r4.examples", "4.0.1"),
)
MAPPED_TYPES = ("Observation", "MedicationStatement", "MedicationRequest", "Condition")


class Hl7PackageError(RuntimeError):
    """npm is missing or the package could not be fetched: the tests fail with this message."""


def package_dir(name: str, version: str) -> Path:
    """The untarred `package/` folder of NAME@VERSION, fetched on first use."""
    target = CACHE / f"{name}-{version}"
    if (target / ".complete").exists():
        return target / "package"
    npm = shutil.which("npm")
    if npm is None:
        raise Hl7PackageError("npm is not on PATH: install Node.js/npm to fetch the HL7 example packages")
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / ".complete").exists():
            tarball = CACHE / f"{name}-{version}.tgz"
            if not tarball.exists():
                done = subprocess.run(
                    [npm, "pack", f"{name}@{version}", "--silent"],
                    cwd=CACHE,
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                if done.returncode != 0 or not tarball.exists():
                    raise Hl7PackageError(f"npm pack {name}@{version} failed: {done.stderr[-2000:]}")
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()
            with tarfile.open(tarball) as archive:
                archive.extractall(target, filter="data")
            (target / ".complete").write_text("ok")
    return target / "package"


def _resources(path: Path) -> Iterator[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return
    if not isinstance(data, dict):
        return
    if data.get("resourceType") == "Bundle":
        for entry in data.get("entry") or []:
            if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                yield entry["resource"]
    else:
        yield data


def examples(types: tuple[str, ...] = MAPPED_TYPES) -> list[tuple[str, dict[str, Any]]]:
    """(label, resource) for every example of `types` in the three packages, bundles opened."""
    found: list[tuple[str, dict[str, Any]]] = []
    for name, version in PACKAGES:
        root = package_dir(name, version)
        for path in sorted(root.rglob("*.json")):
            if path.name.startswith(("StructureDefinition", "ValueSet", "CodeSystem", "package", "ig-r4", ".")):
                continue
            for index, resource in enumerate(_resources(path)):
                if resource.get("resourceType") in types:
                    found.append((f"{name}:{path.name}#{index}", resource))
    return found


def subject_id(resource: dict[str, Any]) -> str | None:
    """The patient id a resource is about (`Patient/x` or a URL ending in it), else None."""
    reference = (resource.get("subject") or {}).get("reference") or ""
    if "Patient/" not in reference:
        return None
    return str(reference.rsplit("Patient/", 1)[1]) or None
