"""The service's public base URL: `public_base_url` behind a proxy or TLS terminator, else the request's own."""

from __future__ import annotations

from starlette.requests import Request

from .settings import Settings

__all__ = ["public_base_url"]


def public_base_url(request: Request, settings: Settings) -> str:
    """Without a trailing slash, so a path can be appended."""
    return (settings.public_base_url or str(request.base_url)).rstrip("/")
