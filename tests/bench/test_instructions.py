"""bench/instructions.py: reading callgrind's totals, a server started behind a wrapper command, and the counts its
command line takes."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bench.instructions import total_instructions
from bench.server import running

# the head and tail of a real callgrind output file (valgrind 3.19, the service's worker)
_CALLGRIND_OUT = """# callgrind format
version: 1
creator: callgrind-3.19.0
pid: 31337
cmd:  /work/main/.venv/bin/python -m cds_hooks.cli serve --host 127.0.0.1 --port 40123
part: 1

desc: I1 cache:
desc: Timerange: Basic block 0 - 912345678
positions: line
events: Ir
summary: 4321098765
fl=(1) ???
fn=(1) 0x0000000000001100
0 3
totals: 4321098765
"""


def test_the_totals_line_gives_the_instructions_counted() -> None:
    assert total_instructions(_CALLGRIND_OUT) == 4_321_098_765


def test_a_file_without_totals_is_refused() -> None:
    with pytest.raises(ValueError, match="totals"):
        total_instructions("# callgrind format\nevents: Ir\n")


def test_the_server_runs_behind_the_wrapper_and_answers(tmp_path: Path) -> None:
    marker = tmp_path / "wrapped"
    # the wrapper leaves a mark, then becomes the server (exec): what valgrind does, without valgrind
    wrapper = ["sh", "-c", 'touch "$0" && exec "$@"', str(marker)]
    with running("floor", wrapper=wrapper) as server:
        answer = httpx.post(f"{server.base_url}/cds-services/x", content=b"{}", timeout=10.0, trust_env=False)
        assert answer.status_code == 200
        assert Path(f"/proc/{server.pid}/cmdline").read_bytes().split(b"\0")[1:3] == [b"-m", b"uvicorn"]
    assert marker.exists()


def test_two_counts_are_read_from_the_command_line_and_anything_else_is_refused() -> None:
    from bench.patients import count_pair

    assert count_pair("40,30") == (40, 30)
    for text in ("40", "40,30,2", "a,b", ""):
        with pytest.raises(ValueError):
            count_pair(text)
