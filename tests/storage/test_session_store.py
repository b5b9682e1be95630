"""SMART launches and sessions in the shared store (issue #25 item 4), on SQLite and on PostgreSQL.

A second handle on the same storage is a second worker or replica: what one stores the other reads.
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

from cds_hooks.storage.sessions import SessionStore
from tests.storage.conftest import OpenStorage

KEY = secrets.token_bytes(32)
TOKEN = b'{"access_token":"the-access-token-abc123","patient":"cml-1"}'


def _store(open_storage: OpenStorage, key: bytes = KEY, **options: float) -> SessionStore:
    return SessionStore(open_storage(), key, **options)  # type: ignore[arg-type]


def test_a_launch_stored_by_one_replica_is_read_and_used_once_by_another(open_storage: OpenStorage) -> None:
    first, second = _store(open_storage), _store(open_storage)
    cookie = first.put_pending(b"pending", "10.0.0.1")
    assert second.get(cookie, "pending") == b"pending"
    assert second.get(cookie, "session") is None  # a launch is not a session
    with ThreadPoolExecutor(8) as pool:  # eight callbacks for one launch at once: one goes on
        won = list(pool.map(lambda store: store.take(cookie, "pending"), [first, second] * 4))
    assert won.count(True) == 1
    assert first.get(cookie, "pending") is None


def test_the_access_token_is_encrypted_at_rest_and_the_cookie_is_not_the_key(open_storage: OpenStorage) -> None:
    store = _store(open_storage)
    cookie = store.put_session(TOKEN, expires_at=2e9)
    with store.database.transaction() as connection:
        rows = connection.execute("SELECT id, payload FROM smart_session").fetchall()
    assert len(rows) == 1
    row_id, payload = rows[0]
    assert cookie not in row_id and b"the-access-token" not in str(payload).encode()
    assert "abc123" not in str(payload) and "cml-1" not in str(payload)
    assert store.get(cookie, "session") == TOKEN
    assert _store(open_storage, key=secrets.token_bytes(32)).get(cookie, "session") is None  # another key: nothing


def test_a_row_moved_under_another_id_or_kind_does_not_decrypt(open_storage: OpenStorage) -> None:
    store = _store(open_storage)
    victim = store.put_session(TOKEN, expires_at=2e9)
    attacker = store.put_pending(b"mine", "10.0.0.9")
    with store.database.transaction() as connection:
        sealed = connection.execute("SELECT payload FROM smart_session WHERE kind = 'session'").fetchall()[0][0]
        connection.execute("UPDATE smart_session SET payload = ? WHERE kind = 'pending'", (sealed,))
        connection.execute("UPDATE smart_session SET kind = 'pending' WHERE kind = 'session'")
    assert store.get(attacker, "pending") is None
    assert store.get(victim, "pending") is None


def test_pending_launches_expire_after_their_short_ttl_and_sessions_after_theirs(open_storage: OpenStorage) -> None:
    store = _store(open_storage, pending_ttl=300, session_ttl=3600)
    pending = store.put_pending(b"p", "10.0.0.1", now=1_000_000)
    session = store.put_session(TOKEN, expires_at=9e9, now=1_000_000)
    assert store.get(pending, "pending", now=1_000_299) == b"p"
    assert store.get(pending, "pending", now=1_000_301) is None
    assert store.get(session, "session", now=1_003_599) == TOKEN
    assert store.get(session, "session", now=1_003_601) is None
    short = store.put_session(TOKEN, expires_at=1_000_100, now=1_000_000)  # the token expires first
    assert store.get(short, "session", now=1_000_101) is None


def test_the_cap_per_client_drops_the_oldest_launches_and_never_a_session(open_storage: OpenStorage) -> None:
    store = _store(open_storage, pending_per_client=5)
    session = store.put_session(TOKEN, expires_at=2e9)
    other = store.put_pending(b"other", "10.0.0.2")
    flood = [store.put_pending(f"{n}".encode(), "10.0.0.1") for n in range(40)]
    assert store.count("pending") == 6  # five of the flooding address, one of the other
    assert [store.get(cookie, "pending") for cookie in flood[-5:]] == [f"{n}".encode() for n in range(35, 40)]
    assert store.get(flood[0], "pending") is None
    assert store.get(other, "pending") == b"other"
    assert store.get(session, "session") == TOKEN


def test_expired_rows_are_swept(open_storage: OpenStorage) -> None:
    store = _store(open_storage, pending_ttl=10, sweep_seconds=60)
    for n in range(30):
        store.put_pending(b"p", f"10.0.1.{n}", now=1_000_000)
    live = store.put_session(TOKEN, expires_at=9e9, now=1_000_000)
    assert store.count() == 31
    store.put_pending(b"p", "10.0.2.1", now=1_000_030)  # within the sweep interval: nothing deleted yet
    assert store.count() == 32
    store.put_pending(b"p", "10.0.2.2", now=1_000_070)
    assert store.count() == 2  # the live session and the launch just made
    assert store.get(live, "session", now=1_000_070) == TOKEN
