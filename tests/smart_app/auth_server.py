"""The SMART authorization server the browser tests launch against: the code lives in `demo/smart_auth.py`."""

from demo.smart_auth import Client, SmartAuthServer

__all__ = ["Client", "SmartAuthServer"]
