"""Audit rows written off the request's critical path: a bounded queue and one writer thread.

Why: a hook call's answer should not wait for a database commit it does not depend on (a commit in
SQLite, a network round trip to PostgreSQL). The writer wakes when a row arrives, waits `linger` seconds
for more, and writes what gathered in one transaction: one thread switch and one commit per batch.
Bounded: when the queue is full the request writes its own row (back-pressure, nothing dropped).
`close()` — at application shutdown — stops accepting, drains the queue and waits for the last commit.
A batch that fails is retried a few times, then counted in `cmlcds_audit_records_lost_total`; the JSON
log line of each call was written already, so log shipping still has every record.
Feedback is not queued: it is committed before it is acknowledged.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from starlette.concurrency import run_in_threadpool

from .. import metrics
from ..audit import AuditRecord
from .audit import AuditStore

__all__ = ["AuditWriter"]

logger = logging.getLogger("cml_cds.audit")

_STOP = None


class AuditWriter:
    def __init__(
        self,
        store: AuditStore,
        *,
        capacity: int = 10_000,
        batch: int = 500,
        linger: float = 0.05,
        retries: int = 3,
        retry_delay: float = 0.5,
    ) -> None:
        self.store = store
        self.batch = batch
        self.linger = linger
        self.retries = retries
        self.retry_delay = retry_delay
        self._queue: queue.Queue[AuditRecord | None] = queue.Queue(maxsize=capacity)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="cml-cds-audit-writer", daemon=True)
                self._thread.start()

    async def submit(self, record: AuditRecord) -> None:
        """Queue the row; write it here (in the thread pool) when the writer is not running or the queue is full."""
        if self._thread is not None:
            try:
                self._queue.put_nowait(record)
                return
            except queue.Full:
                logger.warning("audit queue full: writing in the request")
        await run_in_threadpool(self._write, [record])

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued row is written (or failed); False on timeout. For tests and shutdown paths."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._queue.all_tasks_done.wait(remaining)
        return True

    def close(self, timeout: float = 30.0) -> None:
        """Drain what is queued, then stop the thread (application shutdown)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is None:
            return
        self._queue.put(_STOP)
        thread.join(timeout)
        if thread.is_alive():
            logger.error("audit writer did not finish in %.0f s", timeout)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            records = [] if first is None else [first]
            stop = first is None
            if not stop and self.linger:
                time.sleep(self.linger)  # let a batch gather: one wake-up and one commit per batch, not per call
            while not stop and len(records) < self.batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                else:
                    records.append(item)
            if records:
                self._write(records)
            for _ in range(len(records) + stop):
                self._queue.task_done()
            if stop:
                return

    def _write(self, records: list[AuditRecord]) -> None:
        for attempt in range(self.retries):
            try:
                self.store.add_many(records)
                return
            except Exception:
                if attempt == self.retries - 1:
                    logger.exception("audit rows not stored", extra={"records": len(records)})
                    metrics.AUDIT_LOST.inc(len(records))
                    return
                time.sleep(self.retry_delay)
