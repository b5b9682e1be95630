"""Where the synchronous part of a hook call runs: on the event loop when the patient is small, in a worker
thread when large.

Why: the hop to a worker thread is not free. The GIL lets one thread run at a time, so the thread buys no
throughput; what it costs is the GIL handed back and forth between the event loop (reading other callers'
bodies) and the worker, usually on the other core with cold caches. Through the ASGI app in process, a
60-result call cost 5.0–7.3 ms of CPU through the thread and 3.4–4.6 ms inline; over HTTP, on a shared VM
whose speed drifts by ±20%, the medians of alternating runs fell by 7–27% (docs/performance.md).
What the thread does buy is that a very large patient (~0.25 s at 10,000 results) does not hold the event
loop, and with it every other caller and the health checks, for its whole length. So a call of at most
`INLINE_RESOURCES` resources runs inline and holds the loop for at most ~30 ms; a larger one goes to a thread.
The route decodes a body by the same rule, measured in bytes (`INLINE_PARSE_BYTES`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from anyio import to_thread

from fhir_mapping.decode import resources_in

__all__ = ["INLINE_PARSE_BYTES", "INLINE_RESOURCES", "resource_count", "run_inline_if", "run_sized"]

T = TypeVar("T")

#: At most this many resources in the prefetch: the call's synchronous part runs on the event loop. Mapping
#: and the algorithm cost ~15 µs a resource at this size (~40 µs for a small patient), so ~30 ms at most.
INLINE_RESOURCES = 2000

#: Bodies up to this size are decoded on the event loop: ~0.2 ms for a 60-result patient, ~2 ms for 1,000
#: results (350 KB), ~6 ms at this limit.
INLINE_PARSE_BYTES = 1024 * 1024


def resource_count(prefetch: Mapping[str, Any]) -> int:
    """Resources in the prefetch (Bundles' entries and single resources): the measure of a call's size."""
    return sum(resources_in(value) for value in prefetch.values())


async def run_inline_if(inline: bool, func: Callable[..., T], *args: Any) -> T:
    """`func(*args)` on the event loop when `inline`, else in a worker thread."""
    if inline:
        return func(*args)
    return await to_thread.run_sync(func, *args)


async def run_sized(
    size: int, func: Callable[..., T], *args: Any, guard: Callable[[Awaitable[T]], Awaitable[T]] | None = None
) -> T:
    """`func(*args)` inline when `size` ≤ INLINE_RESOURCES, else in a worker thread — awaited through `guard`
    (the call's watch for its client leaving, CallContext.guarded) when given: only a call that waits can be
    stopped from outside, and watching costs a task, so an inline call is not watched."""
    if size <= INLINE_RESOURCES:
        return func(*args)
    work = to_thread.run_sync(func, *args)
    return await (guard(work) if guard is not None else work)
