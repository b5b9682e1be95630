"""The run: index the export, assess every patient in worker processes, write the outputs, summarise.

Memory stays bounded whatever the export's size: the index is on disk (index.py), the patient list is read
from it in batches, at most `2 × workers` batches are in flight, a worker holds one patient's resources at a
time, and the rows wait in a SQLite file until they are written out sorted by urgency.
"""

from __future__ import annotations

import contextlib
import csv
import json
import multiprocessing
import os
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from .assess import Category, Row, assess_patient, pseudonym
from .index import IndexReader, IndexWriter
from .ndjson import Skipped, ndjson_files, read_lines
from .outputs import RunInfo, write_csv, write_html, write_json

__all__ = ["Options", "Summary", "run"]

SKIPPED_SHOWN = 10


@dataclass(frozen=True)
class Options:
    ndjson: Path
    out: Path
    as_of: date
    secret: bytes
    reveal_ids: bool = False
    workers: int = 0  # 0: one per CPU
    batch: int = 200
    work_dir: Path | None = None
    progress: bool = True


@dataclass
class Summary:
    files: int = 0
    lines: int = 0
    skipped: int = 0
    skipped_examples: list[str] = field(default_factory=list)
    resources: dict[str, int] = field(default_factory=dict)
    not_read: dict[str, int] = field(default_factory=dict)
    no_patient: dict[str, int] = field(default_factory=dict)
    patients: int = 0
    cml: int = 0
    not_cml: int = 0
    no_action: int = 0
    action: int = 0
    errors: int = 0
    error_examples: list[str] = field(default_factory=list)
    counts: dict[int, int] = field(default_factory=dict)
    workers: int = 0
    index_seconds: float = 0.0
    assess_seconds: float = 0.0
    output_seconds: float = 0.0
    peak_rss_main_mib: float = 0.0
    peak_rss_worker_mib: float = 0.0
    peak_rss_tree_mib: float = 0.0  # main + every worker's own peak: an upper bound of the tree's peak
    outputs: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["counts"] = {Category(c).label: n for c, n in sorted(self.counts.items())}
        return data

    def text(self) -> str:
        lines = [
            f"Read {self.lines:,} lines from {self.files} files; skipped {self.skipped:,} malformed lines.",
            *(f"  skipped: {example}" for example in self.skipped_examples),
            f"Resources indexed: {', '.join(f'{k} {v:,}' for k, v in sorted(self.resources.items())) or 'none'}.",
        ]
        if self.not_read:
            lines.append(f"Types not read: {', '.join(f'{k} {v:,}' for k, v in sorted(self.not_read.items()))}.")
        if self.no_patient:
            lines.append(
                "Left out, naming no patient: " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.no_patient.items()))
            )
        lines += [
            f"Patients: {self.patients:,}; CML patients assessed: {self.cml:,}; not CML: {self.not_cml:,}; "
            f"errors: {self.errors:,}.",
            *(f"  error: {example}" for example in self.error_examples),
            f"Need action: {self.action:,}; nothing to do: {self.no_action:,}.",
        ]
        for category in Category:
            lines.append(f"  {category.label:<36} {self.counts.get(int(category), 0):>8,}")
        rate = self.cml + self.not_cml
        per_second = rate / self.assess_seconds if self.assess_seconds else 0.0
        lines += [
            f"Time: index {self.index_seconds:.1f} s, assessment {self.assess_seconds:.1f} s "
            f"({per_second:,.0f} patients/s on {self.workers} workers), outputs {self.output_seconds:.1f} s.",
            f"Peak memory: main {self.peak_rss_main_mib:,.0f} MiB, largest worker {self.peak_rss_worker_mib:,.0f} MiB, "
            f"process tree at most {self.peak_rss_tree_mib:,.0f} MiB.",
            *(f"Wrote {name}: {path}" for name, path in self.outputs.items()),
        ]
        return "\n".join(lines)


# ---------------------------------------------------------------- worker side

_WORKER: dict[str, Any] = {}


def _init_worker(index: str, as_of: str, secret: bytes, reveal: bool) -> None:
    import gc

    from tki_resistance import default_knowledge

    _WORKER.update(
        reader=IndexReader(Path(index)),
        as_of=date.fromisoformat(as_of),
        secret=secret,
        reveal=reveal,
        knowledge=default_knowledge(),
    )
    gc.freeze()  # the knowledge tables and modules are never garbage: keep the collector off them


def _work(patients: list[str]) -> tuple[int, int, list[tuple[str, str, Row | None]]]:
    """(pid, peak RSS in KiB, [(status, shown id, row)]) for one batch; a patient that fails is an error row."""
    reader: IndexReader = _WORKER["reader"]
    out: list[tuple[str, str, Row | None]] = []
    for patient in patients:
        shown = patient if _WORKER["reveal"] else pseudonym(patient, _WORKER["secret"])
        try:
            status, row = assess_patient(
                patient, reader.resources(patient), _WORKER["as_of"], _WORKER["knowledge"], shown
            )
        except Exception as exc:  # one patient never stops the run; no message text (it may quote the record)
            out.append((f"error:{type(exc).__name__}", shown, None))
            continue
        out.append((status, shown, row))
    return os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, out


# ---------------------------------------------------------------- main side


class _Rows:
    """Rows on disk until they are written out in urgency order."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE rows (category INT, severity INT, data_date TEXT, patient TEXT, row TEXT)")
        self._db.execute("BEGIN")

    def add(self, row: Row) -> None:
        severity = {"critical": 0, "warning": 1}.get(row.indicator, 2)
        self._db.execute(
            "INSERT INTO rows VALUES (?, ?, ?, ?, ?)",
            (row.category, severity, row.data_date or "9999", row.patient, json.dumps(asdict(row))),
        )

    def sorted(self) -> Iterator[Row]:
        """Category, then critical → warning → info, then the oldest data first (longest without action)."""
        cursor = self._db.execute("SELECT row FROM rows ORDER BY category, severity, data_date, patient")
        for (text,) in cursor:
            data = json.loads(text)
            data["codes"] = tuple(data["codes"])
            yield Row(**data)

    def close(self) -> None:
        self._db.execute("COMMIT")
        self._db.close()


def _progress(enabled: bool) -> Any:
    """A rich progress bar on a terminal (stderr); a do-nothing stand-in otherwise."""
    if enabled and sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
    return _NoProgress()


class _NoProgress:
    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, description: str, total: float | None = None) -> int:
        return 0

    def update(self, task: int, **kwargs: Any) -> None:
        return None

    def advance(self, task: int, advance: float = 1) -> None:
        return None


def _build_index(options: Options, index: Path, summary: Summary, progress: Any) -> None:
    files = ndjson_files(options.ndjson)
    summary.files = len(files)
    writer = IndexWriter(index)
    total = sum(path.stat().st_size for path in files)
    task = progress.add_task("indexing (MB)", total=round(total / 1e6))
    done = 0
    with (options.out / "skipped-lines.csv").open("w", encoding="utf-8", newline="") as handle:
        skipped = csv.writer(handle)
        skipped.writerow(["file", "line", "reason"])
        for path in files:
            file_no = writer.open_file(path)
            for item in read_lines(path):
                summary.lines += 1
                if isinstance(item, Skipped):
                    summary.skipped += 1
                    skipped.writerow([item.file.name, item.number, item.reason])
                    if len(summary.skipped_examples) < SKIPPED_SHOWN:
                        summary.skipped_examples.append(f"{item.file.name}:{item.number}: {item.reason}")
                    continue
                writer.add(file_no, item)
                if summary.lines % 50_000 == 0:  # a plain file's offset is its progress; a gzip file's shows at its end
                    progress.update(task, completed=round((done + min(item.offset, path.stat().st_size)) / 1e6))
            done += path.stat().st_size
            progress.update(task, completed=round(done / 1e6))
    summary.patients = writer.finish()
    summary.resources = dict(writer.read)
    summary.not_read = dict(writer.not_read)
    summary.no_patient = dict(writer.no_patient)


def _assess_all(options: Options, index: Path, rows: _Rows, summary: Summary, progress: Any) -> None:
    workers = options.workers or os.cpu_count() or 1
    summary.workers = workers
    task = progress.add_task("assessing", total=summary.patients)
    peaks: dict[int, int] = {}
    statuses: Counter[str] = Counter()
    reader = IndexReader(index)
    context = multiprocessing.get_context("spawn")  # no fork of a process holding SQLite handles and threads
    initargs = (str(index), options.as_of.isoformat(), options.secret, options.reveal_ids)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=initargs) as pool:
        pending: set[Future[tuple[int, int, list[tuple[str, str, Row | None]]]]] = set()

        def collect(done: set[Future[tuple[int, int, list[tuple[str, str, Row | None]]]]]) -> None:
            for future in done:
                pid, peak, results = future.result()
                peaks[pid] = max(peaks.get(pid, 0), peak)
                for status, shown, row in results:
                    statuses[status.split(":")[0]] += 1
                    if status.startswith("error") and len(summary.error_examples) < SKIPPED_SHOWN:
                        summary.error_examples.append(f"{shown}: {status.split(':', 1)[1]}")
                    if row is not None:
                        rows.add(row)
                        summary.counts[row.category] = summary.counts.get(row.category, 0) + 1
                progress.advance(task, len(results))

        for batch in reader.patients(options.batch):
            if len(pending) >= 2 * workers:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                collect(done)
            pending.add(pool.submit(_work, batch))
        done, _ = wait(pending)
        collect(done)
    reader.close()
    summary.not_cml = statuses["not-cml"]
    summary.no_action = statuses["no-action"]
    summary.action = statuses["action"]
    summary.errors = statuses["error"]
    summary.cml = summary.action + summary.no_action
    kib = 1024.0
    summary.peak_rss_worker_mib = max(peaks.values(), default=0) / kib
    main = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    summary.peak_rss_main_mib = main / kib
    summary.peak_rss_tree_mib = (main + sum(peaks.values())) / kib


def run(options: Options) -> Summary:
    """The whole run; the outputs land in `options.out` (created)."""
    from cds_hooks.app import service_version
    from tki_resistance import default_knowledge

    options.out.mkdir(parents=True, exist_ok=True)
    summary = Summary()
    work = Path(tempfile.mkdtemp(prefix="cml-worklist-", dir=options.work_dir))
    try:
        with _progress(options.progress) as progress:
            started = time.monotonic()
            index = work / "index.sqlite3"
            _build_index(options, index, summary, progress)
            summary.index_seconds = time.monotonic() - started
            started = time.monotonic()
            rows = _Rows(work / "rows.sqlite3")
            _assess_all(options, index, rows, summary, progress)
            summary.assess_seconds = time.monotonic() - started
        started = time.monotonic()
        info = RunInfo(
            as_of=options.as_of.isoformat(),
            generated=datetime.now(UTC).isoformat(timespec="seconds"),
            ids="fhir-id" if options.reveal_ids else "pseudonym",
            service_version=service_version(),
            knowledge_version=default_knowledge().version,
            counts=summary.counts,
            totals={"patients": summary.patients, "cml": summary.cml, "action": summary.action},
        )
        paths = {name: options.out / f"worklist.{name}" for name in ("csv", "json", "html")}
        write_csv(paths["csv"], rows.sorted())
        write_json(paths["json"], rows.sorted(), info)
        write_html(paths["html"], rows.sorted(), info)
        rows.close()
        summary.outputs = {name: str(path) for name, path in paths.items()}
        summary.outputs["skipped lines"] = str(options.out / "skipped-lines.csv")
        summary.output_seconds = time.monotonic() - started
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(work)
    return summary
