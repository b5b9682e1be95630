"""Where the synchronous part of a hook call runs: on the event loop when the patient is small, in a worker
thread when large.

Why: the hop to a worker thread is not free. The thread usually wakes on the other core, with cold caches,
and the same mapping and algorithm ran ~1.5× slower there: at 60 results the call cost 6.4–7.3 ms of CPU
through a thread and 3.4–4.6 ms inline (bench/, README "Performance"). The thread buys nothing in
throughput — the GIL lets one of them run at a time — only that a large patient (hundreds of milliseconds
at 10,000 results) does not hold the event loop, and with it every other caller, while it is mapped.
So a call with at most `INLINE_RESOURCES` resources (a few milliseconds of work) runs inline, and a larger
one in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from anyio import to_thread

__all__ = ["INLINE_RESOURCES", "resource_count", "run_sized"]

T = TypeVar("T")

#: At most this many resources in the prefetch: the call's synchronous part runs on the event loop. Mapping
#: and the algorithm cost ~20–40 µs a resource at this size, so the loop is held for under ~8 ms.
INLINE_RESOURCES = 250


def resource_count(prefetch: Mapping[str, Any]) -> int:
    """Resources in the prefetch: a decoded Bundle's entries, a plain Bundle's entries, else 1 a value."""
    count = 0
    for value in prefetch.values():
        resources = getattr(value, "resources", None)  # fhir_mapping.decode.DecodedBundle
        if isinstance(resources, list):
            count += len(resources)
        elif isinstance(value, dict) and isinstance(entries := value.get("entry"), list):
            count += len(entries)
        elif value is not None:
            count += 1
    return count


async def run_sized(size: int, func: Callable[..., T], *args: Any) -> T:
    """`func(*args)` inline when `size` ≤ INLINE_RESOURCES, else in a worker thread."""
    if size <= INLINE_RESOURCES:
        return func(*args)
    return await to_thread.run_sync(func, *args)
