"""Routers and commands that other installed packages add, found by entry point (groups `cml_cds.routers`,
`cml_cds.commands`).

Why: the SMART app and the worklist build on cds_hooks (its runtime, settings, cards and the same pipeline),
so cds_hooks must never import them; the app factory mounts whatever router an installed package declares,
and `cml-cds` offers whatever command one declares (`pyproject.toml`, `[project.entry-points."cml_cds.…"]`).
Cards link to the SMART app only when a mounted router serves `SMART_LAUNCH_PATH`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

from fastapi import APIRouter
from starlette.routing import BaseRoute

__all__ = ["COMMANDS", "GROUP", "SMART_LAUNCH_PATH", "plugin_commands", "plugin_routers", "serves"]

GROUP = "cml_cds.routers"
COMMANDS = "cml_cds.commands"
#: A command's one-line help and the function that adds its arguments (and sets `run`) to its parser.
Command = tuple[str, Callable[[argparse.ArgumentParser], None]]
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


def plugin_commands() -> dict[str, Command]:
    """The declared commands by name: each entry point names a (help, add_arguments) pair."""
    found: dict[str, Command] = {}
    for entry in sorted(entry_points(group=COMMANDS), key=lambda e: e.name):
        command = entry.load()
        if not (isinstance(command, tuple) and len(command) == 2 and callable(command[1])):
            raise TypeError(f"entry point {entry.name!r} in {COMMANDS} is not a (help, add_arguments) pair")
        found[entry.name] = command
    return found


def serves(routers: Sequence[APIRouter], path: str) -> bool:
    """Whether one of the routers has a route at `path` (a router's routes carry its prefix)."""
    return any(_path(route) == path for router in routers for route in router.routes)


def _path(route: BaseRoute) -> str | None:
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else None
