"""The `serve --workers` supervisor (cds_hooks/workers.py) in process: it gives up on workers that cannot start.

Replacing a worker that dies, spreading connections and a graceful stop are tested on a real
`cml-cds serve --workers 2` in tests/operations/test_workers.py.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from types import FrameType

import pytest

from cds_hooks import workers


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    """A supervisor that never gives up would hang the suite: SIGALRM ends the test after 90 s instead."""

    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise TimeoutError("the supervisor did not return within 90 s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(90)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_workers_that_keep_failing_at_start_up_stop_the_supervisor_with_status_1() -> None:
    """A configuration every worker refuses (an unknown log level) must not restart workers forever."""
    options = {"log_level": "no-such-level", "access_log": False, "log_config": None}
    assert workers.serve_workers(2, "127.0.0.1", 0, options) == 1


def test_the_port_is_held_while_the_supervisor_runs_and_free_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """Between two worker restarts no other program can take the port; once the supervisor is done it is free."""
    held: list[int] = []
    original = workers._start

    def start_and_probe(options: dict[str, object], host: str, port: int) -> workers._Slot:
        if not held:
            held.append(port)
            with socket.socket() as other, pytest.raises(OSError):
                other.bind((host, port))  # no SO_REUSEPORT: refused while the supervisor holds it
        return original(options, host, port)

    monkeypatch.setattr(workers, "_start", start_and_probe)
    options = {"log_level": "no-such-level", "access_log": False, "log_config": None}
    assert workers.serve_workers(1, "127.0.0.1", 0, options) == 1
    with socket.socket() as after:
        after.bind(("127.0.0.1", held[0]))
