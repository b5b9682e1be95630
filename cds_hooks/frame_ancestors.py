"""`frame-ancestors` on every `/smart` answer: which pages may show the SMART app in a frame.

An EHR embeds the app in a frame of its own pages; no other site may (clickjacking: a page of anyone's
framing the signed-in app and tricking a click). The origins come from `smart_clients`: each EHR's own origin
(of its `iss`) and the `frame_ancestors` listed for it. A launch names its EHR (`?iss=`), so its answer allows
that EHR's origins only; any other `/smart` answer allows the origins of the configured EHRs together (a
deployment usually has one); with no SMART client configured, `'none'`. Sent as a second
Content-Security-Policy header (browsers enforce every policy they get, so the page's own policy is kept as it
is), plus `X-Frame-Options: DENY` when nothing may frame the page, for browsers without CSP level 2.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .settings import Settings

__all__ = ["FrameAncestorsMiddleware", "frame_ancestors"]

PREFIX = "/smart"


def frame_ancestors(settings: Settings, iss: str | None) -> str:
    """The CSP directive for an answer of the SMART app (launched from `iss`, when known)."""
    client = settings.smart_client(iss) if iss else None
    clients = [client] if client is not None else settings.smart_clients
    origins = list(dict.fromkeys(origin for c in clients for origin in c.ancestors()))
    return "frame-ancestors " + (" ".join(origins) if origins else "'none'")


class FrameAncestorsMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.everyone = frame_ancestors(settings, None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        policy = self.everyone
        query = scope.get("query_string", b"")
        if b"iss=" in query:
            iss = parse_qs(query.decode("latin-1")).get("iss", [None])[0]
            policy = frame_ancestors(self.settings, iss)
        headers = [(b"content-security-policy", policy.encode("latin-1"))]
        if policy.endswith("'none'"):
            headers.append((b"x-frame-options", b"DENY"))

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_policy)
