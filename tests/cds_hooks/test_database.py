from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cds_hooks.database import Database

SCHEMA = "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY);"


def test_a_failed_transaction_is_rolled_back_and_what_was_stored_stays(tmp_path: Path) -> None:
    database = Database(tmp_path / "db.sqlite3", SCHEMA)
    with database.transaction() as connection:
        connection.execute("INSERT INTO t VALUES ('kept')")
    with pytest.raises(sqlite3.IntegrityError), database.transaction() as connection:
        connection.execute("INSERT INTO t VALUES ('lost')")
        connection.execute("INSERT INTO t VALUES ('kept')")
    with database.transaction() as connection:
        assert connection.execute("SELECT k FROM t").fetchall() == [("kept",)]


def test_reopens_after_close_and_another_connection_sees_the_commits(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    database = Database(path, SCHEMA)
    with database.transaction() as connection:
        connection.execute("INSERT INTO t VALUES ('a')")
    database.close()
    with database.transaction() as connection:
        connection.execute("INSERT INTO t VALUES ('b')")
    other = sqlite3.connect(path)
    try:
        assert sorted(other.execute("SELECT k FROM t").fetchall()) == [("a",), ("b",)]
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        other.close()
