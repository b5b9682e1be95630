"""Routers that other installed packages add to the service, found by entry point (group `cml_cds.routers`).

Why: the SMART app builds on cds_hooks (its runtime, settings and the same pipeline stages), so cds_hooks
must never import it; the app factory mounts whatever router an installed package declares here
(`pyproject.toml`, `[project.entry-points."cml_cds.routers"]`). Cards link to the SMART app only when a
mounted router serves `SMART_LAUNCH_PATH`.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import entry_points

from fastapi import APIRouter
from starlette.routing import BaseRoute

__all__ = ["GROUP", "SMART_LAUNCH_PATH", "plugin_routers", "serves"]

GROUP = "cml_cds.routers"
#: Where a SMART app launches from: the URL `patient-view` cards link to (with the EHR's `iss` and `launch`).
SMART_LAUNCH_PATH = "/smart/launch"


def plugin_routers() -> list[APIRouter]:
    """The declared routers, by entry-point name; a declaration that is not a router stops start-up."""
    routers: list[APIRouter] = []
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        router = entry.load()
        if not isinstance(router, APIRouter):
            raise TypeError(f"entry point {entry.name!r} in {GROUP} is {type(router).__name__}, not an APIRouter")
        routers.append(router)
    return routers


def serves(routers: Sequence[APIRouter], path: str) -> bool:
    """Whether one of the routers has a route at `path` (a router's routes carry its prefix)."""
    return any(_path(route) == path for router in routers for route in router.routes)


def _path(route: BaseRoute) -> str | None:
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else None
