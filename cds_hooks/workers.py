"""`cml-cds serve --workers N`: N uvicorn servers on one port, each listening on its own socket (SO_REUSEPORT).

Why not uvicorn's own `--workers`: it binds one socket that every worker accepts from, and a worker that
wakes first accepts every connection waiting (asyncio accepts up to the backlog at once). A client that
opens its keep-alive connections together — an EHR's connection pool, nginx's upstream keepalive, a load
generator — then has all of them on one worker while the others idle: measured with wrk, 16 connections,
98 requests/s with 2 workers against 96 with 1, all of the CPU in one process. With one listening socket per
worker and SO_REUSEPORT, the kernel spreads new connections over the workers by a hash of their addresses.

The supervisor (this process) holds the port with a bound socket that never listens, so it receives no
connection, a port of 0 resolves once for all workers, and no other program can take the port between a
worker's exit and its restart. It restarts a worker that dies, stops restarting one that keeps dying at
start-up, and on SIGTERM/SIGINT/SIGHUP asks every worker to finish (uvicorn's graceful shutdown: requests in
flight are answered and the audit queue is written) before it exits.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.context import SpawnProcess
from types import FrameType
from typing import Any

__all__ = ["reuse_port_supported", "serve_workers"]

logger = logging.getLogger("cml_cds.workers")

#: A worker that exits within this many seconds of its start counts as failing at start-up.
EARLY_EXIT_SECONDS = 10.0
#: After this many start-up failures in a row the supervisor stops everything (exit 1) instead of looping.
MAX_EARLY_EXITS = 5
#: How long a worker has to finish its requests after SIGTERM before it is killed.
GRACEFUL_SECONDS = 30.0
APP = "cds_hooks.cli:worker_app"


def reuse_port_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def _socket(host: str, port: int) -> socket.socket:
    """The worker's listening socket. Its protocol is named (IPPROTO_TCP, not the default 0) because accepted
    connections inherit it and asyncio turns Nagle's algorithm off (TCP_NODELAY) only on a socket that says
    it is TCP: without it every keep-alive request after the first waited ~40 ms for the client's delayed ACK
    (uvicorn's own `--workers` has the same flaw, Kludex/uvicorn#3149)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(options: dict[str, Any], host: str, port: int) -> None:
    """One worker process: its own listening socket on the shared port, then uvicorn until SIGTERM."""
    import uvicorn

    sock = _socket(host, port)
    config = uvicorn.Config(APP, factory=True, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[sock])


@dataclass
class _Slot:
    process: SpawnProcess
    started: float = field(default_factory=time.monotonic)


def _start(options: dict[str, Any], host: str, port: int) -> _Slot:
    process = multiprocessing.get_context("spawn").Process(target=_worker, args=(options, host, port), daemon=False)
    process.start()
    return _Slot(process)


def serve_workers(workers: int, host: str, port: int, options: dict[str, Any]) -> int:
    """Run `workers` worker processes until SIGTERM, SIGINT or SIGHUP; the exit status of the supervisor."""
    holder = _socket(host, port)  # bound, never listening: holds the port, receives nothing
    port = int(holder.getsockname()[1])
    stopping = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    # SIGHUP too (a closed terminal): by default it would end this process and leave the workers running
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    slots = [_start(options, host, port) for _ in range(workers)]
    logger.info("supervisor started %d workers on port %d", workers, port)
    early_exits = 0
    status = 0
    try:
        while not stopping.wait(0.5):
            for index, slot in enumerate(slots):
                if slot.process.is_alive():
                    continue
                early = time.monotonic() - slot.started < EARLY_EXIT_SECONDS
                early_exits = early_exits + 1 if early else 0
                logger.error("worker %d exited with %s; restarting it", slot.process.pid, slot.process.exitcode)
                if early_exits >= MAX_EARLY_EXITS:
                    logger.error("workers keep exiting at start-up; stopping")
                    status = 1
                    stopping.set()
                    break
                slots[index] = _start(options, host, port)
    finally:
        _stop_all(slots)
        holder.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status


def _stop_all(slots: list[_Slot]) -> None:
    for slot in slots:
        if slot.process.is_alive():
            slot.process.terminate()  # SIGTERM: uvicorn finishes what is in flight, the lifespan drains the audit queue
    deadline = time.monotonic() + GRACEFUL_SECONDS
    for slot in slots:
        slot.process.join(max(0.0, deadline - time.monotonic()))
        if slot.process.is_alive():
            logger.error("worker %d did not stop in %.0f s; killing it", slot.process.pid, GRACEFUL_SECONDS)
            slot.process.kill()
            slot.process.join()
