"""A dedicated virtualenv with healthchain, the third-party CDS Hooks client our service is tested against.

Why its own venv: healthchain 0.16.1 pins its own FastAPI (0.137), httpx (0.27) and fhir.resources
(8.1) versions. Installed into the project's `.venv` it would silently change the versions the service
is tested with, so — like the sekmet FHIR server in `tests/fhir_server.py` — it lives in
`$HEALTHCHAIN_VENV` or `<repo>/.cache/healthchain-venv` and runs as a subprocess
(`tests/thirdparty/healthchain_driver.py`).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import venv
from pathlib import Path

__all__ = ["HEALTHCHAIN_REQUIREMENT", "HealthchainInstallError", "ensure_healthchain_installed"]

HEALTHCHAIN_REQUIREMENT = "healthchain==0.16.1"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_VENV = REPO_ROOT / ".cache" / "healthchain-venv"
_INSTALL_MARKER = ".installed-" + HEALTHCHAIN_REQUIREMENT.replace("==", "-")

_cached_python: Path | None = None


class HealthchainInstallError(RuntimeError):
    """pip could not install healthchain; the message carries pip's output."""


def _venv_dir() -> Path:
    """`$HEALTHCHAIN_VENV` wins so CI can keep the venv elsewhere."""
    env = os.environ.get("HEALTHCHAIN_VENV")
    return Path(env).expanduser().resolve() if env else DEFAULT_VENV


def ensure_healthchain_installed() -> Path:
    """Create (once) the venv with healthchain and return its python.

    Cached in-process, and on disk by a marker written only after pip succeeded, so an interrupted
    install is retried rather than mistaken for a good one; a file lock serialises concurrent installers.
    """
    global _cached_python
    if _cached_python is not None:
        return _cached_python
    venv_dir = _venv_dir()
    python = venv_dir / "bin" / "python"
    marker = venv_dir / _INSTALL_MARKER
    venv_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(venv_dir.parent / (venv_dir.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (marker.exists() and python.exists()):
                _install(venv_dir, python)
                marker.write_text(HEALTHCHAIN_REQUIREMENT + "\n")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    _cached_python = python
    return python


def _install(venv_dir: Path, python: Path) -> None:
    if not python.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    cmd = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet", HEALTHCHAIN_REQUIREMENT]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise HealthchainInstallError(
            f"`{' '.join(cmd)}` failed with exit code {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    check = subprocess.run(
        [str(python), "-c", "import healthchain.sandbox"], capture_output=True, text=True, timeout=120
    )
    if check.returncode != 0:
        raise HealthchainInstallError(f"healthchain installed but does not import:\n{check.stderr[-3000:]}")
