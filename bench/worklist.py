"""`python -m bench.worklist --patients N`: the worklist over a generated population, timed.

Writes the population (bench/population.py) as Bulk Data NDJSON, runs `cml-cds worklist --ndjson` on it as a
child process (as of bench.courses.TODAY, pseudonyms), and reports: resources, wall time of each step,
patients per second, patients per second per core (assessment wall time × workers) and per CPU-second (the
process tree's user + system time), and peak memory — the process tree's summed RSS sampled from /proc every
0.2 s, beside `resource.getrusage` maxrss (the largest single process, RUSAGE_CHILDREN). The target (issue #26):
100,000 patients (≈10 million resources) in under 15 minutes on 2 cores with the tree under 2 GiB.
The machine is shared with other work: CPU figures are pessimistic, compare within a run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from .courses import TODAY
from .population import write_population

RESULTS = Path(__file__).resolve().parent / "results"


def _tree(root: int) -> list[int]:
    """`root` and every descendant, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        parent = int(stat.rsplit(b")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class _Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kib, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            self.peak_kib = max(self.peak_kib, sum(_rss_kib(p) for p in _tree(self.pid)))


def bench(patients: int, workers: int, folder: Path | None, keep: bool) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="bench-worklist-"))
    data = folder or work / "ndjson"
    try:
        started = time.monotonic()
        if folder is None or not any(folder.glob("*.ndjson")):
            counts = write_population(data, patients)
            resources = sum(counts.values())
        else:
            resources = sum(1 for path in data.glob("*.ndjson") for _ in path.open("rb"))
        generate_s = time.monotonic() - started
        size = sum(p.stat().st_size for p in data.iterdir())
        command = [sys.executable, "-m", "cds_hooks.cli", "worklist", "--ndjson", str(data), "--out", str(work / "out")]
        command += ["--as-of", TODAY.isoformat(), "--no-progress", "--workers", str(workers)]
        env = dict(os.environ, CMLCDS_PSEUDONYM_SECRET="bench-worklist-pseudonym-key-0123456789")  # noqa: S106
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        sampler = _Sampler(child.pid)
        sampler.start()
        output, _ = child.communicate()
        wall = time.monotonic() - started
        sampler.done.set()
        sampler.join()
        if child.returncode != 0:
            raise SystemExit(f"cml-cds worklist failed ({child.returncode}):\n{output}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        summary = json.loads((work / "out" / "summary.json").read_text())
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        assessed = summary["cml"] + summary["not_cml"]
        result = {
            "patients": patients,
            "resources": resources,
            "ndjson_mib": round(size / 2**20, 1),
            "workers": summary["workers"],
            "cpus": os.cpu_count(),
            "generate_s": round(generate_s, 1),
            "wall_s": round(wall, 1),
            "index_s": round(summary["index_seconds"], 1),
            "assess_s": round(summary["assess_seconds"], 1),
            "output_s": round(summary["output_seconds"], 1),
            "patients_per_s": round(patients / wall, 1),
            "patients_per_s_per_core": round(assessed / summary["assess_seconds"] / summary["workers"], 1),
            "patients_per_cpu_s": round(patients / cpu, 1),
            "cpu_s": round(cpu, 1),
            "peak_tree_rss_mib_sampled": round(sampler.peak_kib / 1024, 1),
            "peak_rss_largest_process_mib": round(after.ru_maxrss / 1024, 1),
            "peak_rss_tree_bound_mib": round(summary["peak_rss_tree_mib"], 1),
            "need_action": summary["action"],
            "counts": summary["counts"],
            "errors": summary["errors"],
            "load_average": os.getloadavg(),
        }
        if keep:
            result["out"] = str(work / "out")
        return result
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.worklist", description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=0, help="worker processes (default: one per CPU)")
    parser.add_argument("--ndjson", type=Path, help="use (or write once into) this folder instead of a temporary one")
    parser.add_argument("--keep", action="store_true", help="keep the outputs (printed)")
    args = parser.parse_args()
    result = bench(args.patients, args.workers, args.ndjson, args.keep)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"worklist-{args.patients}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
