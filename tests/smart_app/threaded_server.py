"""uvicorn in a background thread for the tests: the code lives in `demo/threaded_server.py`."""

from demo.threaded_server import free_port, serving

__all__ = ["free_port", "serving"]
