"""The HTTP edge: CDS Hooks 2.0 discovery, service calls, feedback, card rendering."""

from .app import create_app

__all__ = ["create_app"]
