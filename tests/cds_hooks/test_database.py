from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from cds_hooks.storage import SqliteDatabase
from cds_hooks.storage.migrations import migrations


def test_a_failed_transaction_is_rolled_back_and_what_was_stored_stays(tmp_path: Path) -> None:
    database = SqliteDatabase(tmp_path / "db.sqlite3")
    insert = "INSERT INTO seen_jti (iss, jti, expires_at) VALUES (?, ?, 1)"
    with database.transaction() as connection:
        connection.execute(insert, ("i", "kept"))
    with pytest.raises(sqlite3.IntegrityError), database.transaction() as connection:
        connection.execute(insert, ("i", "lost"))
        connection.execute(insert, ("i", "kept"))
    with database.transaction() as connection:
        assert connection.execute("SELECT jti FROM seen_jti").fetchall() == [("kept",)]


def test_reopens_after_close_and_another_connection_sees_the_commits(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    database = SqliteDatabase(path)
    insert = "INSERT INTO seen_jti (iss, jti, expires_at) VALUES ('i', ?, 1)"
    with database.transaction() as connection:
        connection.execute(insert, ("a",))
    database.close()
    with database.transaction() as connection:
        connection.execute(insert, ("b",))
    other = sqlite3.connect(path)
    try:
        assert sorted(other.execute("SELECT jti FROM seen_jti").fetchall()) == [("a",), ("b",)]
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        other.close()


def test_a_new_database_folder_is_0700_and_its_files_0600(tmp_path: Path) -> None:
    path = tmp_path / "var" / "cml-cds.sqlite3"
    database = SqliteDatabase(path)
    with database.transaction() as connection:
        connection.execute("INSERT INTO seen_jti (iss, jti, expires_at) VALUES ('i', 'j', 1)")
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    files = sorted(path.parent.iterdir())
    assert {f.name for f in files} >= {"cml-cds.sqlite3", "cml-cds.sqlite3-wal"}
    assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {f.name: 0o600 for f in files}


def test_an_existing_folder_keeps_its_mode(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    SqliteDatabase(folder / "db.sqlite3")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755


def test_a_file_from_before_versioned_migrations_is_upgraded_in_place(tmp_path: Path) -> None:
    """An old file (tables without `cards`, no schema_version) keeps its rows and gains the new column."""
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(migrations("sqlite")[0].sql)
    old.execute(
        "INSERT INTO audit (recorded_at, service_id, finding_codes, latency_ms, status_code)"
        " VALUES ('2026-01-01', 's', '[]', 1.0, 200)"
    )
    old.commit()
    old.close()
    database = SqliteDatabase(path)
    assert database.schema_version() == len(migrations("sqlite"))
    with database.transaction() as connection:
        assert connection.execute("SELECT service_id, cards FROM audit").fetchall() == [("s", "[]")]
