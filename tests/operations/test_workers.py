"""`cml-cds serve --workers 2`: two processes answer on one port, and /metrics adds up the counters of both
(prometheus multiprocess mode) — whichever worker answers the scrape.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.service_replica import Replica

EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "patient-view.json").read_bytes()
CALLS = 24


def _calls_counted(text: str) -> float:
    for family in text_string_to_metric_families(text):
        if family.name == "cmlcds_hook_calls":
            return sum(s.value for s in family.samples if s.name.endswith("_total") and s.labels["status"] == "200")
    return 0.0


def test_two_workers_share_the_port_and_metrics_add_up_across_them(tmp_path: Path) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {
        "CMLCDS_DATABASE_PATH": str(tmp_path / "db" / "cml-cds.sqlite3"),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    replica = Replica(tmp_path, env, ["--workers", "2"])
    try:
        replica.wait_ready()
        headers = {"Content-Type": "application/json"}
        for _ in range(CALLS):  # a new connection each time: the kernel spreads them over the workers
            response = httpx.post(
                f"{replica.base_url}/cds-services/cml-tki-resistance", content=EXAMPLE, headers=headers, trust_env=False
            )
            assert response.status_code == 200
        scrapes = [httpx.get(f"{replica.base_url}/metrics", trust_env=False).text for _ in range(4)]
        assert {_calls_counted(text) for text in scrapes} == {float(CALLS)}
        # a histogram file appears for a process when it observes a hook call: both workers served
        served = {m.group(1) for f in metrics_dir.iterdir() if (m := re.fullmatch(r"histogram_(\d+)\.db", f.name))}
        assert len(served) == 2, sorted(f.name for f in metrics_dir.iterdir())
    finally:
        replica.stop()
    assert replica.process.returncode == 0, replica.log()


def test_one_worker_exposes_its_own_counters(tmp_path: Path) -> None:
    replica = Replica(tmp_path, {"CMLCDS_DATABASE_PATH": str(tmp_path / "cml-cds.sqlite3")})
    try:
        replica.wait_ready()
        url = f"{replica.base_url}/cds-services/cml-tki-resistance"
        for _ in range(3):
            headers = {"Content-Type": "application/json"}
            assert httpx.post(url, content=EXAMPLE, headers=headers, trust_env=False).status_code == 200
        assert _calls_counted(httpx.get(f"{replica.base_url}/metrics", trust_env=False).text) == 3.0
    finally:
        replica.stop()
