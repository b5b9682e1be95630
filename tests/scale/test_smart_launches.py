"""SMART launches across workers and replicas (issue #25 item 4): no sticky routing needed.

- two replicas on one PostgreSQL behind a real nginx (round robin): each launch starts on one replica,
  comes back from the EHR's sign-in to the other, and the page is read through nginx (either replica);
- one `cml-cds serve --workers 2` on its SQLite file, a new connection per request (the kernel spreads
  them over the workers), without a configured key (development: one random key for the serve's workers);
- 2,500 anonymous launches (never signed in) leave a signed-in session working.
The EHR is `ehr_stub.py`: the test authorization server (PKCE S256, aud) and a FHIR stub on one port.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest

from tests.postgres_server import running_postgres
from tests.scale.ehr_stub import Ehr, running_ehr
from tests.scale.nginx import Nginx, running_nginx
from tests.service_replica import Replica, free_port

LAUNCHES = 20
ANONYMOUS = 2500


@dataclass
class Launched:
    session: str  # the signed-in cookie value
    replicas: tuple[int, int]  # the ports of the launch and of the callback


def _cookie(response: httpx.Response) -> str:
    value = response.cookies.get("cmlcds_smart")
    assert value, response.headers
    return value


def _on(url: str, base: str) -> str:
    """`url` sent to `base` (scheme://host:port) instead of its own host."""
    parts, target = urlsplit(url), urlsplit(base)
    return urlunsplit((target.scheme, target.netloc, parts.path, parts.query, ""))


def launch(ehr: Ehr, launch_on: str, callback_on: str) -> Launched:
    """An EHR launch: /smart/launch on one base URL, the EHR's sign-in, /smart/callback on another."""
    with httpx.Client(trust_env=False, timeout=30.0) as browser:
        started = browser.get(f"{launch_on}/smart/launch", params={"iss": ehr.fhir_base, "launch": ehr.launch_id})
        assert started.status_code == 302, started.text
        pending = _cookie(started)
        signed = browser.get(started.headers["location"])  # the EHR signs the user in at once
        assert signed.status_code == 302 and "code=" in signed.headers["location"], signed.text
        back = browser.get(_on(signed.headers["location"], callback_on), headers={"Cookie": f"cmlcds_smart={pending}"})
        assert back.status_code == 302, back.text
        assert back.headers["location"].endswith("/smart/app")
        return Launched(_cookie(back), (urlsplit(launch_on).port or 0, urlsplit(callback_on).port or 0))


def read_course(base: str, session: str) -> httpx.Response:
    return httpx.get(
        f"{base}/smart/api/course", headers={"Cookie": f"cmlcds_smart={session}"}, trust_env=False, timeout=30.0
    )


def anonymous_launches(base: str, ehr: Ehr, count: int) -> list[int]:
    """`count` launches that never come back, from 8 threads on one connection pool (a client's cookies are
    never sent back: each launch is a browser of its own)."""
    with httpx.Client(trust_env=False, timeout=30.0, limits=httpx.Limits(max_connections=8)) as client:

        def one(_: int) -> int:
            response = client.get(f"{base}/smart/launch", params={"iss": ehr.fhir_base}, headers={"Cookie": ""})
            return response.status_code

        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(one, range(count)))


@dataclass
class Replicated:
    ehr: Ehr
    replicas: list[Replica]
    nginx: Nginx
    database_url: str


@pytest.fixture(scope="module")
def replicated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicated]:
    nginx_port = free_port()
    public = f"http://127.0.0.1:{nginx_port}"
    with running_ehr([f"{public}/smart/callback"]) as ehr, running_postgres() as postgres:
        url = postgres.new_database()
        folder = tmp_path_factory.mktemp("smart-replicas")
        env = {
            "CMLCDS_DATABASE_URL": url,
            "CMLCDS_PUBLIC_BASE_URL": public,
            "CMLCDS_SMART_CLIENTS": json.dumps([{"iss": ehr.fhir_base, "client_id": ehr.client_id}]),
            "CMLCDS_SMART_SESSION_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        }
        replicas = [Replica(folder, env), Replica(folder, env)]
        try:
            for replica in replicas:
                replica.wait_ready()
            with running_nginx([f"127.0.0.1:{r.port}" for r in replicas], port=nginx_port) as nginx:
                yield Replicated(ehr, replicas, nginx, url)
        finally:
            for replica in replicas:
                replica.stop()


def test_launches_start_on_one_replica_and_finish_on_the_other(replicated: Replicated) -> None:
    first, second = replicated.replicas
    succeeded, failed = 0, []
    started = time.monotonic()
    for n in range(LAUNCHES):
        launch_on, callback_on = (first, second) if n % 2 == 0 else (second, first)
        try:
            launched = launch(replicated.ehr, launch_on.base_url, callback_on.base_url)
            course = read_course(replicated.nginx.base_url, launched.session)  # through nginx: either replica
            assert course.status_code == 200, course.text
            assert course.json()["patient"] == "cml-1"
            succeeded += 1
        except AssertionError as problem:
            failed.append(str(problem)[:200])
    elapsed = time.monotonic() - started
    print(
        f"smart replicas: {succeeded} of {LAUNCHES} launches succeeded in {elapsed:.1f} s "
        f"(launch on one replica, callback on the other, page through nginx)"
    )
    assert succeeded == LAUNCHES, failed


def test_anonymous_launches_leave_a_signed_in_session_working(replicated: Replicated) -> None:
    nginx = replicated.nginx.base_url
    signed_in = launch(replicated.ehr, nginx, nginx)
    started = time.monotonic()
    statuses = anonymous_launches(nginx, replicated.ehr, ANONYMOUS)
    elapsed = time.monotonic() - started
    print(f"smart replicas: {ANONYMOUS} anonymous launches in {elapsed:.1f} s, statuses {sorted(set(statuses))}")
    assert statuses == [302] * ANONYMOUS
    for replica in replicated.replicas:
        assert read_course(replica.base_url, signed_in.session).status_code == 200
    with psycopg.connect(replicated.database_url) as connection:
        rows: dict[str, int] = dict(
            connection.execute("SELECT kind, COUNT(*) FROM smart_session GROUP BY kind").fetchall()
        )
    assert rows["pending"] <= 20 + 8  # the cap per client address (+ launches in flight when the last ran)
    assert rows["session"] >= 1
    assert replicated.ehr.configuration_reads <= 2  # once per replica (cached per iss), not once per launch


def test_two_workers_share_launches_on_sqlite_without_a_configured_key(tmp_path: Path) -> None:
    with running_ehr([]) as ehr:
        env = {"CMLCDS_SMART_CLIENTS": json.dumps([{"iss": ehr.fhir_base, "client_id": ehr.client_id}])}
        replica = Replica(tmp_path, env, args=["--workers", "2"])
        try:
            replica.wait_ready()
            ehr.redirect_uris.append(f"{replica.base_url}/smart/callback")
            succeeded = 0
            for _ in range(LAUNCHES):
                try:
                    launched = launch(ehr, replica.base_url, replica.base_url)
                    succeeded += read_course(replica.base_url, launched.session).status_code == 200
                except AssertionError:
                    pass
        finally:
            replica.stop()
    print(f"smart --workers 2: {succeeded} of {LAUNCHES} launches succeeded")
    assert succeeded == LAUNCHES
