"""Scale-out: two `cml-cds serve` replicas on one PostgreSQL behind a real nginx, one killed mid-load.

What must hold when a node dies under load (issue #13):
- every feedback item the service acknowledged (200) is stored, exactly once;
- a JWT used on one replica is refused on the other (the replay store is shared);
- no 5xx reaches the client — nginx passes the requests of the dead replica to the live one;
- /readyz answers 503 while the database is down, and 200 again once it is back.
The load is bounded: a fixed number of requests from a small thread pool, each with its own timeout.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.cds_hooks.jwt_signer import Client, jwks
from tests.postgres_server import PostgresServer, running_postgres
from tests.scale.nginx import Nginx, running_nginx
from tests.service_replica import Replica, free_port

ISS = "https://ehr.scale.test"
SERVICE = "/cds-services/cml-tki-resistance"
FEEDBACK = f"{SERVICE}/feedback"
EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "patient-view.json").read_bytes()
FEEDBACK_REQUESTS = 120  # two items each
HOOK_CALLS = 60
THREADS = 6
ATTEMPTS = 4  # a client retries a refused or failed request with a fresh token


class Cluster:
    def __init__(self, postgres: PostgresServer, url: str, replicas: list[Replica], nginx: Nginx, signer: Client):
        self.postgres = postgres
        self.database_url = url
        self.replicas = replicas
        self.nginx = nginx
        self.signer = signer

    def token(self, path: str) -> str:
        now = int(time.time())
        claims = {"iss": ISS, "aud": self.nginx.base_url + path, "iat": now, "exp": now + 120, "jti": str(uuid.uuid4())}
        return self.signer.sign(claims, typ="JWT")

    def post(self, base_url: str, path: str, body: bytes, token: str | None = None) -> httpx.Response:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token or self.token(path)}"}
        return httpx.post(base_url + path, content=body, headers=headers, timeout=30.0, trust_env=False)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    signer = Client("scale-kid", "ES256", ec.generate_private_key(ec.SECP256R1()))
    with running_postgres() as postgres:
        url = postgres.new_database()
        folder = tmp_path_factory.mktemp("replicas")
        # nginx's port must be known before the replicas start: it is their public_base_url (the JWT audience)
        nginx_port = free_port()
        env = {
            "CMLCDS_DATABASE_URL": url,
            "CMLCDS_AUTH_ENABLED": "true",
            "CMLCDS_PUBLIC_BASE_URL": f"http://127.0.0.1:{nginx_port}",
            "CMLCDS_TRUSTED_ISSUERS": json.dumps([{"iss": ISS, "jwks": jwks(signer)}]),
        }
        replicas = [Replica(folder, env), Replica(folder, env)]
        try:
            for replica in replicas:
                replica.wait_ready()
            with running_nginx([f"127.0.0.1:{r.port}" for r in replicas], port=nginx_port) as nginx:
                yield Cluster(postgres, url, replicas, nginx, signer)
        finally:
            for replica in replicas:
                replica.stop()


def test_a_jwt_used_on_one_replica_is_refused_on_the_other(cluster: Cluster) -> None:
    first, second = cluster.replicas
    body = json.dumps(
        {"feedback": [{"card": "jwt-card", "outcome": "overridden", "outcomeTimestamp": "2026-11-22T10:00:00Z"}]}
    )
    token = cluster.token(FEEDBACK)
    assert cluster.post(first.base_url, FEEDBACK, body.encode(), token).status_code == 200
    refused = cluster.post(second.base_url, FEEDBACK, body.encode(), token)
    assert refused.status_code == 401
    assert cluster.post(second.base_url, FEEDBACK, body.encode()).status_code == 200  # a fresh token passes
    metrics = httpx.get(f"{second.base_url}/metrics", trust_env=False).text
    assert 'cmlcds_auth_refusals_total{reason="replay"} 1.0' in metrics


def test_killing_a_replica_mid_load_loses_no_acknowledged_feedback_and_shows_no_5xx(cluster: Cluster) -> None:
    victim = cluster.replicas[0]
    statuses: Counter[int] = Counter()
    acknowledged: list[str] = []
    lock = threading.Lock()
    done = 0
    halfway = threading.Event()
    total = FEEDBACK_REQUESTS + HOOK_CALLS

    def feedback_body(n: int) -> tuple[bytes, list[str]]:
        cards = [f"scale-{n}-a", f"scale-{n}-b"]
        items = [
            {
                "card": c,
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": "s"}],
                "outcomeTimestamp": "2026-11-22T11:00:00Z",
            }
            for c in cards
        ]
        return json.dumps({"feedback": items}).encode(), cards

    def one(n: int) -> None:
        nonlocal done
        if n < FEEDBACK_REQUESTS:
            path, (body, cards) = FEEDBACK, feedback_body(n)
        else:
            path, body, cards = SERVICE, EXAMPLE, []
        for _ in range(ATTEMPTS):
            try:
                status = cluster.post(cluster.nginx.base_url, path, body).status_code
            except httpx.HTTPError:
                status = 0  # no answer at all
            with lock:
                statuses[status] += 1
            if status == 200:
                with lock:
                    acknowledged.extend(cards)
                break
        with lock:
            done += 1
            if done >= total // 2:
                halfway.set()

    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(one, n) for n in _interleaved(FEEDBACK_REQUESTS, HOOK_CALLS)]
        assert halfway.wait(timeout=300), "the load did not reach half-way"
        victim.kill()
        for future in futures:
            future.result(timeout=300)

    print(f"scale-out: statuses seen by the client {dict(statuses)}; nginx upstream log in {cluster.nginx.folder}")
    assert victim.process.returncode is not None
    assert not [s for s in statuses if s >= 500 or s == 0], statuses
    assert statuses[200] == total, statuses  # every request acknowledged in the end
    # only requests in flight on the killed replica can meet their own (already recorded) jti on the other
    assert statuses[401] <= THREADS, statuses
    expected = {f"scale-{n}-{k}" for n in range(FEEDBACK_REQUESTS) for k in "ab"}
    assert set(acknowledged) == expected
    with psycopg.connect(cluster.database_url) as connection:
        rows = connection.execute(
            "SELECT card, COUNT(*) FROM feedback WHERE card LIKE 'scale-%' GROUP BY card"
        ).fetchall()
    counts: dict[str, int] = dict(rows)
    assert set(counts) == expected
    assert set(counts.values()) == {1}


def test_readyz_is_503_while_the_database_is_down_and_200_after(cluster: Cluster) -> None:
    live = next(r for r in cluster.replicas if r.process.poll() is None)
    assert httpx.get(f"{live.base_url}/readyz", trust_env=False).status_code == 200
    cluster.postgres.stop()
    try:
        down = httpx.get(f"{live.base_url}/readyz", timeout=10.0, trust_env=False)
        assert (down.status_code, down.text) == (503, "database not answering\n")
        assert httpx.get(f"{live.base_url}/healthz", trust_env=False).status_code == 200
        body = json.dumps(
            {"feedback": [{"card": "db-down", "outcome": "overridden", "outcomeTimestamp": "2026-11-22T12:00:00Z"}]}
        )
        refused = cluster.post(live.base_url, FEEDBACK, body.encode())
        assert refused.status_code == 503  # not acknowledged, not a 401: the client may retry later
        assert refused.json()["issue"][0]["code"] == "transient"
    finally:
        cluster.postgres.start()
    deadline = time.monotonic() + 30
    while httpx.get(f"{live.base_url}/readyz", timeout=10.0, trust_env=False).status_code != 200:
        assert time.monotonic() < deadline, "not ready 30 s after the database came back"
        time.sleep(0.5)
    body = json.dumps(
        {"feedback": [{"card": "after-restart", "outcome": "overridden", "outcomeTimestamp": "2026-11-22T12:00:00Z"}]}
    )
    assert cluster.post(cluster.nginx.base_url, FEEDBACK, body.encode()).status_code == 200


def _interleaved(feedback: int, hook_calls: int) -> list[int]:
    """Request numbers 0..feedback+hook_calls-1, a hook call after every two feedback requests."""
    keyed = [(float(n), n) for n in range(feedback)] + [(2 * k + 0.5, feedback + k) for k in range(hook_calls)]
    return [n for _, n in sorted(keyed)]
