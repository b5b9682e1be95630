"""One computation per assessment of what several stages derive from the same snapshot.

The mutation profile, the line's milestone assessment, the result history and the phase are each needed by
several stages (mutations, relapse, any-time failure, SCT referral, dose check, monitoring, ...). Inside
`assess_stages` a per-call memo returns the first result to every later caller; outside it (a stage called
alone, as the stage tests do) every call computes afresh. The memo is keyed by the identity of the
arguments and keeps them alive, so an id can never be reused by another object while the memo lives (a key
that matches is the same objects: no further check is needed); it is dropped when the assessment ends.
The memoised functions are pure and their results are not mutated by any caller, so the findings are the
same with and without it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import ParamSpec, TypeVar

__all__ = ["memoised_per_assessment", "shared_derivations"]

P = ParamSpec("P")
R = TypeVar("R")

_Memo = dict[tuple[object, ...], tuple[tuple[object, ...], object]]  # key → (the arguments, kept alive; value)
_MEMO: ContextVar[_Memo | None] = ContextVar("tki_resistance_shared_derivations", default=None)


@contextmanager
def shared_derivations() -> Iterator[None]:
    """Within this block, memoised derivations are computed once per set of argument objects."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def memoised_per_assessment(fn: Callable[P, R]) -> Callable[P, R]:
    """`fn` (positional arguments only) memoised inside `shared_derivations`, plain outside it."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        memo = _MEMO.get()
        if memo is None or kwargs:
            return fn(*args, **kwargs)
        key = (fn, *map(id, args))
        hit = memo.get(key)
        if hit is not None:
            return hit[1]  # type: ignore[return-value]
        value = fn(*args, **kwargs)
        memo[key] = (tuple(args), value)
        return value

    return wrapper
