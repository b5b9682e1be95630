from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from cds_hooks.storage import Database
from cds_hooks.storage.replay import JtiStore
from tests.storage.conftest import OpenStorage


def test_a_jti_is_accepted_once_per_issuer(database: Database) -> None:
    store = JtiStore(database)
    assert store.first_use("iss-a", "j1", expires_at=1_000.0, now=100.0)
    assert not store.first_use("iss-a", "j1", expires_at=1_000.0, now=101.0)
    assert store.first_use("iss-b", "j1", expires_at=1_000.0, now=102.0)


def test_one_token_sent_to_two_replicas_at_once_is_accepted_exactly_once(open_storage: OpenStorage) -> None:
    replicas = [JtiStore(open_storage()), JtiStore(open_storage())]

    def use(n: int) -> bool:
        return replicas[n % 2].first_use("iss", "same-jti", expires_at=1_000.0, now=100.0)

    with ThreadPoolExecutor(8) as pool:
        accepted = list(pool.map(use, range(24)))
    assert accepted.count(True) == 1


def test_expired_rows_are_deleted_at_most_every_cleanup_interval(database: Database) -> None:
    store = JtiStore(database, cleanup_seconds=60.0)
    assert store.first_use("iss", "old", expires_at=150.0, now=100.0)  # clean-up ran (nothing to delete)
    assert store.first_use("iss", "new", expires_at=1_000.0, now=155.0)  # "old" expired, clean-up not yet due
    assert store.count() == 2
    assert store.first_use("iss", "newer", expires_at=1_000.0, now=161.0)  # due: "old" deleted
    assert store.count() == 2
    assert not store.first_use("iss", "new", expires_at=1_000.0, now=300.0)  # unexpired rows stay
