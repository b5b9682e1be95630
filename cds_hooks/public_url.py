"""The service's public base URL: `public_base_url` behind a proxy or TLS terminator, else the request's own."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import Scope

from .settings import Settings

__all__ = ["app_path", "public_base_url"]


def public_base_url(request: Request, settings: Settings) -> str:
    """Without a trailing slash, so a path can be appended."""
    return (settings.public_base_url or str(request.base_url)).rstrip("/")


def app_path(scope: Scope) -> str:
    """The request's path inside the app: without the root path it is mounted under (a reverse proxy's prefix)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
