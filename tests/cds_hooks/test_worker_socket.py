"""A worker's listening socket (cds_hooks/workers.py) hands asyncio connections with Nagle's algorithm off.

With the socket's protocol left at 0, asyncio did not set TCP_NODELAY on accepted connections, and under
`cml-cds serve --workers 2` every keep-alive request after the first waited ~40 ms for the client's delayed
ACK (throughput 0.63x one worker's in `python -m bench`)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from cds_hooks import workers


@pytest.mark.skipif(not workers.reuse_port_supported(), reason="SO_REUSEPORT: the --workers path of Linux")
def test_connections_accepted_on_a_worker_socket_have_nagle_off() -> None:
    listener = workers._socket("127.0.0.1", 0)
    port = listener.getsockname()[1]
    seen: list[int] = []

    class Report(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted = transport.get_extra_info("socket")
            seen.append(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def accept_one() -> None:
        server = await asyncio.get_running_loop().create_server(Report, sock=listener)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(accept_one())
    assert seen and seen[0] != 0
