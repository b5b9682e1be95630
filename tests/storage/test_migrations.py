from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from cds_hooks.storage import Database
from cds_hooks.storage.migrations import migrations
from tests.storage.conftest import OpenStorage


def test_schema_is_at_the_latest_version_and_each_version_recorded_once(open_storage: OpenStorage) -> None:
    with ThreadPoolExecutor(4) as pool:  # four workers starting together
        handles: list[Database] = list(pool.map(lambda _: open_storage(), range(4)))
    database = handles[0]
    expected = migrations(database.dialect)
    assert database.schema_version() == len(expected) >= 2
    with database.transaction() as connection:
        rows = connection.execute("SELECT version, name FROM schema_version ORDER BY version").fetchall()
    assert [tuple(r) for r in rows] == [(m.version, m.name) for m in expected]


def test_reopening_a_migrated_database_changes_nothing(open_storage: OpenStorage) -> None:
    first = open_storage()
    with first.transaction() as connection:
        connection.execute("INSERT INTO seen_jti (iss, jti, expires_at) VALUES ('i', 'j', 1)")
    second = open_storage()
    assert second.ping()
    with second.transaction() as connection:
        assert connection.execute("SELECT COUNT(*) FROM schema_version").fetchall()[0][0] == len(
            migrations(second.dialect)
        )
        assert connection.execute("SELECT jti FROM seen_jti").fetchall()[0][0] == "j"
