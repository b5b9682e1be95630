"""An on-disk index of a Bulk Data export by patient, in SQLite (stdlib).

Why SQLite: the work is "all resources of one patient, for every patient" over files grouped by *type*, so
the export has to be regrouped without holding it in memory. SQLite is in the standard library (nothing to
install on a hospital machine), appends millions of small rows a second-ish in one transaction, builds the
patient index after loading (one sort, faster than maintaining it per insert), and answers a point lookup by
patient in microseconds from any number of read-only worker processes at once. DuckDB would regroup faster
in one columnar scan, but it is a ~40 MB dependency, is built for scans rather than 100,000 small lookups,
and a database open for writing cannot be read by other processes.

Only *where* each resource is goes into the index (file, byte offset, length; ~50 bytes a row): the
resource itself stays in its NDJSON file and a worker reads it with one `pread`. A gzip file cannot be read
at an offset, so its lines are written once, inflated, to a spool file beside the index.
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .ndjson import READ_TYPES, Line, is_gzip

__all__ = ["IndexReader", "IndexWriter"]

_SCHEMA = """
CREATE TABLE files (no INTEGER PRIMARY KEY, path TEXT NOT NULL);
CREATE TABLE resources (patient TEXT NOT NULL, file INTEGER NOT NULL, offset INTEGER NOT NULL,
                        length INTEGER NOT NULL);
CREATE TABLE medications (id TEXT NOT NULL, file INTEGER NOT NULL, offset INTEGER NOT NULL,
                          length INTEGER NOT NULL);
CREATE TABLE patient_medications (patient TEXT NOT NULL, medication TEXT NOT NULL);
"""
_BATCH = 20_000


class IndexWriter:
    """Builds the index in one pass over the files (one writer, the main process)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        # a scratch index, rebuilt from the export after any failure: no journal, no fsync
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.executescript(_SCHEMA)
        self._db.execute("BEGIN")
        self._rows: list[tuple[str, int, int, int]] = []
        self._meds: list[tuple[str, int, int, int]] = []
        self._links: list[tuple[str, str]] = []
        self._spool: BinaryIO | None = None
        self._spool_no = -1
        self._spool_size = 0
        self._files = 0
        self.read: Counter[str] = Counter()  # resources indexed, by type
        self.not_read: Counter[str] = Counter()  # resources of types the mapping does not read
        self.no_patient: Counter[str] = Counter()  # resources that name no patient (left out)

    def open_file(self, source: Path) -> int:
        """Register a source file; returns its number. A gzip file's lines go to the spool file instead."""
        if is_gzip(source):
            if self._spool is None:
                spool = self.path.with_suffix(".spool")
                self._spool = spool.open("wb")
                self._spool_no = self._register(spool)
            return self._spool_no
        return self._register(source)

    def _register(self, path: Path) -> int:
        self._files += 1
        self._db.execute("INSERT INTO files VALUES (?, ?)", (self._files, str(path.resolve())))
        return self._files

    def add(self, file_no: int, line: Line) -> None:
        """Index one line; returns nothing: types not read and resources without a patient are counted."""
        if line.kind not in READ_TYPES:
            self.not_read[line.kind] += 1
            return
        if line.kind != "Medication" and line.patient is None:
            self.no_patient[line.kind] += 1
            return
        offset = line.offset
        if file_no == self._spool_no and self._spool is not None:
            offset = self._spool_size
            self._spool.write(line.raw + b"\n")
            self._spool_size += len(line.raw) + 1
        self.read[line.kind] += 1
        if line.kind == "Medication":
            if line.ident is not None:
                self._meds.append((line.ident, file_no, offset, line.length))
            return
        patient = line.patient or ""  # never empty here: checked above
        self._rows.append((patient, file_no, offset, line.length))
        if line.medication is not None:
            self._links.append((patient, line.medication))
        if len(self._rows) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        self._db.executemany("INSERT INTO resources VALUES (?, ?, ?, ?)", self._rows)
        self._db.executemany("INSERT INTO medications VALUES (?, ?, ?, ?)", self._meds)
        self._db.executemany("INSERT INTO patient_medications VALUES (?, ?)", self._links)
        self._rows, self._meds, self._links = [], [], []

    def finish(self) -> int:
        """Flush, build the lookups, close; returns the number of patients."""
        self._flush()
        if self._spool is not None:
            self._spool.close()
        self._db.execute("CREATE INDEX resources_by_patient ON resources (patient)")
        self._db.execute("CREATE INDEX medications_by_id ON medications (id)")
        self._db.execute("CREATE INDEX medications_by_patient ON patient_medications (patient)")
        self._db.execute("COMMIT")
        (count,) = self._db.execute("SELECT COUNT(DISTINCT patient) FROM resources").fetchone()
        self._db.close()
        return int(count)


class IndexReader:
    """Read-only access for the workers (and the main process's patient list)."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._fds: dict[int, int] = {}
        self._paths = {int(no): str(p) for no, p in self._db.execute("SELECT no, path FROM files")}

    def patients(self, batch: int) -> Iterator[list[str]]:
        """Every patient id, in index order, `batch` at a time (a cursor: the list is never all in memory)."""
        cursor = self._db.execute("SELECT DISTINCT patient FROM resources ORDER BY patient")
        while rows := cursor.fetchmany(batch):
            yield [row[0] for row in rows]

    def _read(self, file_no: int, offset: int, length: int) -> bytes:
        fd = self._fds.get(file_no)
        if fd is None:
            fd = self._fds[file_no] = os.open(self._paths[file_no], os.O_RDONLY)
        return os.pread(fd, length, offset)

    def resources(self, patient: str) -> list[bytes]:
        """The JSON text of every resource about `patient`, and of the Medications they reference."""
        rows = self._db.execute("SELECT file, offset, length FROM resources WHERE patient = ?", (patient,))
        found = [self._read(*row) for row in rows]
        meds = self._db.execute(
            "SELECT DISTINCT m.file, m.offset, m.length FROM patient_medications p JOIN medications m "
            "ON m.id = p.medication WHERE p.patient = ?",
            (patient,),
        )
        found += [self._read(*row) for row in meds]
        return found

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._db.close()
