from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import REGISTRY

from cds_hooks.audit import AuditRecord
from cds_hooks.storage import Connection, Database, DatabaseError
from cds_hooks.storage.audit import AuditStore
from cds_hooks.storage.audit_writer import AuditWriter
from cds_hooks.storage.migrations import Dialect


def _record(n: int, recorded_at: str = "2026-11-20T10:00:00+00:00") -> AuditRecord:
    return AuditRecord(
        service_id="cml-tki-resistance",
        status_code=200,
        latency_ms=float(n),
        hook_instance=f"hook-{n}",
        issuer="https://ehr.example.org",
        patient_pseudonym="p" * 32,
        finding_codes=("milestone-failure", "monitoring-due"),
        knowledge_version="k1",
        cards=((f"uuid-{n}-a", "milestone-failure"), (f"uuid-{n}-b", "monitoring-due")),
        recorded_at=recorded_at,
    )


def test_an_audit_row_keeps_the_cards_returned_and_since_filters_by_time(database: Database) -> None:
    store = AuditStore(database)
    store.add(_record(1, "2026-11-01T09:00:00+00:00"))
    store.add_many([_record(2), _record(3)])
    rows = store.all()
    assert [r["hook_instance"] for r in rows] == ["hook-1", "hook-2", "hook-3"]
    assert rows[0]["cards"] == [("uuid-1-a", "milestone-failure"), ("uuid-1-b", "monitoring-due")]
    assert rows[0]["finding_codes"] == ["milestone-failure", "monitoring-due"]
    assert rows[0]["latency_ms"] == 1.0
    assert [r["hook_instance"] for r in store.all(since="2026-11-15")] == ["hook-2", "hook-3"]


def test_the_writer_stores_every_queued_row_by_the_time_it_is_closed(database: Database) -> None:
    store = AuditStore(database)
    writer = AuditWriter(store, batch=50)
    writer.start()

    async def submit_all() -> None:
        for n in range(300):
            await writer.submit(_record(n))

    asyncio.run(submit_all())
    writer.close()
    assert [r["hook_instance"] for r in store.all()] == [f"hook-{n}" for n in range(300)]


def test_without_a_running_writer_the_request_writes_its_own_row(database: Database) -> None:
    store = AuditStore(database)
    asyncio.run(AuditWriter(store).submit(_record(7)))
    assert [r["hook_instance"] for r in store.all()] == ["hook-7"]


class _Unreachable:
    """A database that is down: every transaction fails as PostgreSQL's does when it cannot connect."""

    dialect: Dialect = "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        raise DatabaseError("PostgreSQL unavailable: OperationalError")
        yield  # pragma: no cover

    def ping(self) -> bool:
        return False

    def schema_version(self) -> int:
        return 0

    def close(self) -> None:
        pass


def test_rows_that_cannot_be_stored_after_retries_are_counted_as_lost() -> None:
    before = REGISTRY.get_sample_value("cmlcds_audit_records_lost_total") or 0.0
    writer = AuditWriter(AuditStore(_Unreachable()), retries=2, retry_delay=0.01)
    writer.start()

    async def submit() -> None:
        for n in range(3):
            await writer.submit(_record(n))

    asyncio.run(submit())
    writer.close()
    assert REGISTRY.get_sample_value("cmlcds_audit_records_lost_total") == before + 3


def test_flush_waits_until_the_queued_rows_are_written(database: Database) -> None:
    store = AuditStore(database)
    writer = AuditWriter(store, linger=0.2)
    writer.start()

    async def submit() -> None:
        for n in range(5):
            await writer.submit(_record(n))

    asyncio.run(submit())
    assert writer.flush(timeout=10)
    assert len(store.all()) == 5
    writer.close()
