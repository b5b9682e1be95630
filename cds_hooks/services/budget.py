"""What one hook call may still spend: a deadline for its synchronous work, and a stop when nobody waits.

The synchronous part of a call (mapping, the algorithm, rendering) runs on the event loop or in a worker
thread (offload.py); neither can be interrupted from outside. So it asks its budget at each checkpoint —
between stages, between draft orders, between cards — and stops there: `DeadlineExceeded` (503) when it has
run past `call_deadline_seconds`, `ClientGone` when the route saw the client disconnect or the server is
shutting down (uvicorn cancels the call after its graceful timeout). A checkpoint costs a clock read.
"""

from __future__ import annotations

import time

from ..errors import ClientGone, DeadlineExceeded

__all__ = ["CallBudget"]


class CallBudget:
    """The deadline of one call's synchronous work (started by `begin`, or the first check) and its stop flag.

    Set from the event loop (`cancel`), read from the worker thread (`check`): one attribute written once, so
    the GIL is the only synchronisation needed."""

    __slots__ = ("_deadline", "_stopped", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._deadline: float | None = None
        self._stopped: str | None = None

    def begin(self) -> None:
        if self._deadline is None:
            self._deadline = time.monotonic() + self.seconds

    def cancel(self, reason: str) -> None:
        """Stop the call at its next checkpoint (the client left, or the server is shutting down)."""
        self._stopped = reason

    @property
    def cancelled(self) -> bool:
        return self._stopped is not None

    def check(self, where: str) -> None:
        if self._stopped is not None:
            raise ClientGone(f"call stopped at {where}: {self._stopped}")
        if self._deadline is None:
            self.begin()
        elif time.monotonic() > self._deadline:
            raise DeadlineExceeded(
                f"the call's work ran past its deadline of {self.seconds:g} s (at {where}); its remaining work"
                " was stopped"
            )
