"""The storage suite runs once per backend: SQLite (a temporary file) and a real PostgreSQL (see
tests/postgres_server.py; skipped with one line naming the Debian package when it is not installed,
failed under CI=true). `open_storage()` opens one more handle on the same fresh storage — what a second
worker or replica is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cds_hooks.storage import Database, SqliteDatabase
from tests.postgres_server import PostgresServer, running_postgres

OpenStorage = Callable[[], Database]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def open_storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenStorage]:
    if request.param == "sqlite":
        path = tmp_path / "cml-cds.sqlite3"

        def factory() -> Database:
            return SqliteDatabase(path)

    else:
        from cds_hooks.storage.postgres import PostgresDatabase

        server: PostgresServer = request.getfixturevalue("postgres")
        url = server.new_database()

        def factory() -> Database:
            return PostgresDatabase(url)

    opened: list[Database] = []

    def open_one() -> Database:
        database = factory()
        opened.append(database)
        return database

    yield open_one
    for database in opened:
        database.close()


@pytest.fixture
def database(open_storage: OpenStorage) -> Database:
    return open_storage()
