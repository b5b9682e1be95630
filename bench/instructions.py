"""Instructions per hook call over HTTP, counted by valgrind: a measure that does not drift with the machine.

    python -m bench.instructions [--results 60] [--problems 40,30] [--calls 5,45] [--targets floor,edge,service]
                                 [--root CHECKOUT]

Why: CPU time on this shared VM drifts by ±20–50% within minutes, so a 10% change needs many alternating
rounds (`bench.ab`) to show. Instruction counts are the same from run to run to a fraction of a percent.
Each target runs under `valgrind --tool=callgrind` twice, answering `calls` sequential requests each time
after a warm-up on the same connection; the difference of the two totals over the difference of the calls is
what one call costs: the event loop, HTTP parsing, middleware, audit writer thread and log line included,
start-up and shut-down cancelled out.

What it does not say: how fast those instructions run. Code in C (the floor's `json.loads`) runs more of them
per cycle than the interpreter does, so the ratio of CPU times is larger than the ratio of instructions
(docs/performance.md). Use it to compare two trees, not as the target's ratio. Needs the Debian package
valgrind; a target takes 1–3 minutes.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import httpx

from .patients import add_patient_arguments, chart_label, count_pair, hook_request_bytes
from .server import CHECKOUT, running

__all__ = ["instructions_per_call", "main", "total_instructions"]

PATH = "/cds-services/cml-tki-resistance"
WARM_UP_CALLS = 5


def total_instructions(callgrind_out: str) -> int:
    """The `totals:` (or, in older files, `summary:`) line of a callgrind output file: instructions counted."""
    for line in callgrind_out.splitlines():
        key, _, value = line.partition(":")
        if key in ("totals", "summary"):
            return int(value.split()[0])
    raise ValueError("no totals: line in the callgrind output")


def _run(target: str, root: Path, body: bytes, calls: int) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as folder:
        out = Path(folder) / "callgrind.out"
        wrapper = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        with (
            running(target, root=root, timeout=600.0, wrapper=wrapper, stop_timeout=300.0) as server,
            httpx.Client(base_url=server.base_url, timeout=120.0, trust_env=False) as client,
        ):
            for _ in range(WARM_UP_CALLS + calls):
                response = client.post(PATH, content=body, headers={"content-type": "application/json"})
                if response.status_code != 200:
                    raise RuntimeError(f"{target} answered {response.status_code}: {response.text[:500]}")
        return total_instructions(out.read_text())


def instructions_per_call(target: str, root: Path, body: bytes, calls: tuple[int, int]) -> float:
    """Instructions one call costs the server process, from two runs of `calls[0]` and `calls[1]` calls."""
    fewer, more = calls
    return (_run(target, root, body, more) - _run(target, root, body, fewer)) / (more - fewer)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__.splitlines()[0])
    add_patient_arguments(parser)
    parser.add_argument("--calls", type=count_pair, default=(5, 45))
    parser.add_argument("--targets", default="floor,edge,service")
    parser.add_argument("--root", type=Path, default=CHECKOUT, help="the checkout whose service and edge are counted")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (Debian package valgrind)")
    if not 0 <= args.calls[0] < args.calls[1]:
        parser.error("--calls takes two counts, the first smaller: e.g. 5,45")
    body = hook_request_bytes(args.results, problems=args.problems)
    print(f"{args.results} results{chart_label(args.problems)}, instructions per call over HTTP (callgrind)")
    counted: dict[str, float] = {}
    for target in args.targets.split(","):
        root = CHECKOUT if target == "floor" else args.root
        counted[target] = instructions_per_call(target, root, body, args.calls)
        ratio = f" ({counted[target] / counted['floor']:.2f}× floor)" if "floor" in counted else ""
        print(f"{target:8s} {counted[target] / 1e6:7.3f} M{ratio}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
