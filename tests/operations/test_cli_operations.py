"""`cml-cds report` and `cml-cds serve` refusing a database it cannot reach, through the CLI entry point."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from cds_hooks.audit import AuditRecord
from cds_hooks.cli import main
from cds_hooks.models import Feedback
from cds_hooks.settings import get_settings
from cds_hooks.storage import SqliteDatabase
from cds_hooks.storage.audit import AuditStore
from cds_hooks.storage.feedback import FeedbackStore
from tests.service_replica import free_port


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    for name in ("CMLCDS_DATABASE_URL", "CMLCDS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "cml-cds.sqlite3"
    monkeypatch.setenv("CMLCDS_DATABASE_PATH", str(path))
    get_settings.cache_clear()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield path
    get_settings.cache_clear()
    root.handlers[:] = handlers  # `serve` installs its JSON log handler on the root logger
    root.setLevel(level)


def _fill(path: Path) -> None:
    database = SqliteDatabase(path)
    audit = AuditStore(database)
    for n, day in enumerate(("2026-10-01", "2026-11-05", "2026-11-06")):
        audit.add(
            AuditRecord(
                service_id="cml-tki-resistance",
                status_code=200,
                latency_ms=2.0,
                hook_instance=f"h{n}",
                issuer=None,
                patient_pseudonym=None,
                finding_codes=("avoid-tki",),
                knowledge_version="k",
                cards=((f"u{n}", "avoid-tki"),),
                recorded_at=f"{day}T09:00:00+00:00",
            )
        )
    FeedbackStore(database).add(
        "cml-tki-resistance",
        [
            Feedback.model_validate(
                {
                    "card": "u1",
                    "outcome": "accepted",
                    "acceptedSuggestions": [{"id": "x"}],
                    "outcomeTimestamp": "2026-11-05T10:00:00Z",
                }
            ),
            Feedback.model_validate(
                {
                    "card": "u2",
                    "outcome": "overridden",
                    "overrideReason": {"reason": {"code": "patient-declined"}},
                    "outcomeTimestamp": "2026-11-06T10:00:00Z",
                }
            ),
        ],
    )
    database.close()


def test_report_prints_the_figures_per_finding_code_since_a_date(
    environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(environment)
    assert main(["report", "--since", "2026-11-01"]) == 0
    out = capsys.readouterr().out
    (row,) = [line.split() for line in out.splitlines() if line.startswith("avoid-tki")]
    assert row == ["avoid-tki", "2", "1", "1", "50.0%"]
    assert "avoid-tki: patient-declined × 1" in out
    assert main(["report"]) == 0
    (row,) = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("avoid-tki")]
    assert row == ["avoid-tki", "3", "1", "1", "33.3%"]


def test_report_refuses_a_malformed_date_and_a_missing_database(
    environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--since", "last week"]) == 2
    assert "--since" in capsys.readouterr().err
    assert main(["report"]) == 2
    assert "no database" in capsys.readouterr().err
    assert not environment.exists()  # a report never creates an empty database


def test_serve_refuses_to_start_when_postgresql_cannot_be_reached(
    environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv("CMLCDS_DATABASE_URL", f"postgresql://cmlcds:s3cret@127.0.0.1:{port}/cmlcds")
    get_settings.cache_clear()
    assert main(["serve", "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert f"PostgreSQL at 127.0.0.1:{port}/cmlcds unavailable at start-up" in err
    assert "s3cret" not in err
