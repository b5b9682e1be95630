"""Run CPU-bound work (parsing, mapping, the algorithm, rendering) off the event loop, one call at a time.

Why one at a time: the work is pure Python and holds the GIL, so two threads doing it never run in
parallel; they only take turns every few milliseconds, each evicting the other's data from the CPU cache,
and a call's latency becomes that of all the calls in flight. One worker thread per process keeps the event
loop free to accept and answer (discovery, health, feedback), costs no parallelism, and lets calls finish in
the order they came. Throughput comes from processes (`cml-cds serve --workers N`), not threads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, TypeVarTuple

from anyio import CapacityLimiter, to_thread
from anyio.lowlevel import RunVar

__all__ = ["run_cpu_bound"]

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

_LIMITER: RunVar[CapacityLimiter] = RunVar("cml_cds_cpu_limiter")


def _limiter() -> CapacityLimiter:
    """One limiter per event loop (a RunVar): a limiter is bound to the loop it was first used on."""
    try:
        return _LIMITER.get()
    except LookupError:
        limiter = CapacityLimiter(1)
        _LIMITER.set(limiter)
        return limiter


async def run_cpu_bound(func: Callable[[*Ts], T], *args: *Ts) -> T:
    return await to_thread.run_sync(func, *args, limiter=_limiter())
