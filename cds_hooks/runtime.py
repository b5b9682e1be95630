"""What the app holds for its lifetime, and the `Annotated` dependencies routes use to reach it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, Request

from fhir_mapping.fhir_client import FhirReader
from tki_resistance.knowledge_base import Knowledge

from .settings import Settings
from .storage import FeedbackStore

__all__ = ["Runtime", "RuntimeDep"]


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    knowledge: Knowledge
    feedback: FeedbackStore
    today: Callable[[], date]
    fhir_reader: FhirReader | None
    version: str


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
