from __future__ import annotations

import gc

from cds_hooks.gc_pause import cyclic_gc_paused


def test_pause_restores_the_collector_even_after_an_error() -> None:
    assert gc.isenabled()
    try:
        with cyclic_gc_paused():
            assert not gc.isenabled()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert gc.isenabled()


def test_nested_pause_keeps_the_collector_off_until_the_outer_one_ends() -> None:
    with cyclic_gc_paused():
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_hook_call_leaves_the_collector_on(client: object) -> None:
    from fastapi.testclient import TestClient

    from tests.builders import hook_request

    assert isinstance(client, TestClient)
    assert client.post("/cds-services/cml-tki-resistance", json=hook_request()).status_code == 200
    assert client.post("/cds-services/cml-tki-resistance", content=b"{bad").status_code == 400
    assert gc.isenabled()
