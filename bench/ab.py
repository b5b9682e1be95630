"""Before and after on one machine: two checkouts' services in alternating rounds, the floor between them.

    python -m bench.ab BEFORE_CHECKOUT [AFTER_CHECKOUT] [--results 60] [--problems 40,30] [--rounds 10] [--seconds 3]

Why: this VM's speed drifts by ±20% within minutes, so two full `python -m bench` runs back to back can
disagree about a 20% change. Here each round runs before, floor and after within seconds of each other
(the order of before and after swapped every round), and the report gives the medians and every round's
ratios. AFTER_CHECKOUT defaults to this checkout; both use this checkout's Python environment.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from .patients import add_patient_arguments, chart_label, hook_request_bytes
from .server import CHECKOUT, running
from .wrk import available, run_wrk

__all__ = ["main"]

PATH = "/cds-services/cml-tki-resistance"


def _cpu_ms(target: str, root: Path, body: bytes, results: int, seconds: float) -> float:
    with running(target, root=root) as server:
        return run_wrk(server, PATH, body, 16, seconds, results).cpu_ms_per_call


def _ratios(values: list[float], by: list[float]) -> str:
    return ", ".join(f"{a / b:.2f}" for a, b in zip(values, by, strict=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path, nargs="?", default=CHECKOUT)
    add_patient_arguments(parser)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    if not available():
        parser.error("wrk is not installed (Debian package wrk)")
    body = hook_request_bytes(args.results, problems=args.problems)
    before: list[float] = []
    after: list[float] = []
    floor: list[float] = []
    for index in range(args.rounds):
        pair = [(before, args.before), (after, args.after)]
        first, second = pair if index % 2 == 0 else pair[::-1]
        first[0].append(_cpu_ms("service", first[1], body, args.results, args.seconds))
        floor.append(_cpu_ms("floor", CHECKOUT, body, args.results, args.seconds))
        second[0].append(_cpu_ms("service", second[1], body, args.results, args.seconds))
        print(f"round {index + 1}: before {before[-1]:.2f} ms, floor {floor[-1]:.2f} ms, after {after[-1]:.2f} ms")
    patient = f"{args.results} results{chart_label(args.problems)}"
    print(f"\n{patient}, server CPU per call over HTTP (wrk, concurrency 16), {args.rounds} rounds")
    print(f"median: before {statistics.median(before):.2f} ms, after {statistics.median(after):.2f} ms")
    print(f"after / before, per round: {_ratios(after, before)}")
    for name, values in (("before", before), ("after", after)):
        ratio = statistics.median(v / f for v, f in zip(values, floor, strict=True))
        print(f"{name} × floor: median {ratio:.2f} (per round: {_ratios(values, floor)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
