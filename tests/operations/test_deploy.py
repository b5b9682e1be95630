"""The container image recipe and the Kubernetes manifests, checked without a cluster or a docker engine:
manifests against the Kubernetes schemas bundled in kubernetes-validate (offline, strict), the Dockerfile
with hadolint, and the facts the deployment rests on (probes on the real endpoints, non-root, read-only
root filesystem, the ConfigMap's TOML accepted by the service's own settings validation).
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]  # ships no py.typed and has no stubs
import pytest
import yaml

from cds_hooks.settings import CONFIG_FILE_VARIABLE, Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KINDS = {"ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"}


def _resources() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(DEPLOY.glob("*.yaml")):
        found += [(path.name, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return found


def _one(kind: str) -> dict[str, Any]:
    (resource,) = [doc for _, doc in _resources() if doc["kind"] == kind]
    return resource


@pytest.mark.parametrize(("name", "resource"), _resources(), ids=lambda v: v if isinstance(v, str) else "")
def test_each_manifest_is_valid_against_the_kubernetes_schema(name: str, resource: dict[str, Any]) -> None:
    kubernetes_validate.validate(resource, kubernetes_validate.latest_version(), strict=True)


def test_the_manifests_cover_a_complete_deployment() -> None:
    assert {doc["kind"] for _, doc in _resources()} >= KINDS


def test_the_deployment_probes_the_operations_endpoints_and_runs_locked_down() -> None:
    pod = _one("Deployment")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert set(container["resources"]["requests"]) == {"cpu", "memory"}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/tmp", "/etc/cml-cds"} <= mounts  # noqa: S108 - /tmp: the prometheus multiprocess folder
    secrets = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
    assert set(secrets) == {
        "CMLCDS_PSEUDONYM_SECRET",
        "CMLCDS_DATABASE_URL",
        "CMLCDS_SMART_SESSION_KEY",
        "CMLCDS_METRICS_TOKEN",
    }
    # SIGTERM: calls in flight get graceful_timeout_seconds, which must end before Kubernetes kills the pod
    assert pod["terminationGracePeriodSeconds"] > Settings().graceful_timeout_seconds


def test_the_network_policy_admits_only_the_ingress_controller_and_prometheus() -> None:
    policy = _one("NetworkPolicy")["spec"]
    sources = [peer["namespaceSelector"]["matchLabels"] for rule in policy["ingress"] for peer in rule["from"]]
    assert sources == [
        {"kubernetes.io/metadata.name": "ingress-nginx"},
        {"kubernetes.io/metadata.name": "monitoring"},
    ]
    routed = [p["path"] for rule in _one("Ingress")["spec"]["rules"] for p in rule["http"]["paths"]]
    assert "/metrics" not in routed and all(not p.startswith(("/metrics", "/healthz", "/readyz")) for p in routed)


def test_the_configmap_settings_are_accepted_in_production_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = _one("ConfigMap")["data"]["cml-cds.toml"]
    assert tomllib.loads(toml)["mode"] == "production"
    config = tmp_path / "cml-cds.toml"
    config.write_text(toml)
    monkeypatch.setenv(CONFIG_FILE_VARIABLE, str(config))
    monkeypatch.setenv("CMLCDS_PSEUDONYM_SECRET", secrets.token_urlsafe(32))
    monkeypatch.setenv("CMLCDS_DATABASE_URL", "postgresql://cmlcds:pw@db.internal:5432/cmlcds")
    settings = Settings()
    assert settings.mode == "production" and settings.authentication
    assert settings.database_url is not None


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run([str(hadolint), str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_cml_cds_serve_as_a_non_root_user_with_a_healthcheck() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    stages = [line for line in lines if line.startswith("FROM ")]
    # a full version tag (issue #25): a rebuild gets the same Python, not whatever "3.11-slim" means that day
    assert stages and all(re.fullmatch(r"FROM python:3\.11\.\d+-slim-[a-z]+( AS \w+)?", line) for line in stages)
    assert [line for line in lines if line.startswith("USER ")] == ["USER 10001:10001"]
    assert 'ENTRYPOINT ["cml-cds", "serve"]' in lines
    assert any(line.startswith("HEALTHCHECK ") for line in lines)
    assert any("/healthz" in line for line in lines)


def test_the_image_install_ships_every_package_and_the_migrations() -> None:
    """The image installs the project non-editable: a package or SQL file not declared would be missing there."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("cds_hooks", "fhir_mapping", "tki_resistance", "smart_app", "worklist")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert set(setuptools["packages"]) == on_disk
    migrations = ROOT / "cds_hooks" / "storage" / "migrations"
    sql = {str(p.relative_to(migrations)) for p in migrations.rglob("*.sql")}
    patterns = setuptools["package-data"]["cds_hooks.storage.migrations"]
    assert sql and all(any(Path(name).match(pattern) for pattern in patterns) for name in sql)


def test_the_image_copies_every_top_level_package() -> None:
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    copied = {line.split()[1] for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("COPY ")}
    assert {name for name in packages if "." not in name} <= copied


def test_the_image_installs_its_dependencies_from_the_lock_with_hashes() -> None:
    text = (ROOT / "Dockerfile").read_text()
    runs = [line for line in text.replace("\\\n", " ").splitlines() if "pip install" in line]
    assert any("--require-hashes" in line and "requirements/service.txt" in line for line in runs)
    assert all("--require-hashes" in line or "--no-deps" in line for line in runs)
