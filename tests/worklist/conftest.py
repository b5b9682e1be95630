"""Shared fixtures: the repository's course set as a Bulk Data export, and what the hook answers for it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bench.courses import COURSES
from bench.population import course_resources, relabel
from cds_hooks.app import create_app
from cds_hooks.settings import Settings
from tests.builders import TODAY
from tests.coherence.corpus import iterate

SECRET = b"worklist-test-secret-worklist-test-secret"


@dataclass(frozen=True)
class CourseCall:
    name: str
    patient: str  # the FHIR id the course has in the export
    cards: list[dict[str, Any]]  # what patient-view answers for the course's own request
    resources: list[dict[str, Any]]


def write_ndjson(folder: Path, resources: list[dict[str, Any]]) -> None:
    """One NDJSON file per resource type, as a Bulk Data server writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    by_type: dict[str, list[str]] = {}
    for resource in resources:
        by_type.setdefault(resource["resourceType"], []).append(json.dumps(resource, separators=(",", ":")))
    for kind, lines in by_type.items():
        (folder / f"{kind}.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")


#: Generated courses (tests/coherence/corpus.py, seed 22) compared beside the course set.
GENERATED = 300


@pytest.fixture(scope="session")
def course_calls(tmp_path_factory: pytest.TempPathFactory) -> list[CourseCall]:
    """Every course of bench.courses.COURSES (`c000`, …) and the first GENERATED courses of the coherence corpus
    (`g000`, …): its patient-view cards (the real app, as of TODAY) and its resources as that patient (ids
    prefixed, references rewritten)."""
    folder = tmp_path_factory.mktemp("hook")
    app = create_app(Settings(database_path=folder / "db.sqlite3"), today=lambda: TODAY)
    courses = [(f"c{n:03d}", c.name, c.request) for n, c in enumerate(COURSES)]
    courses += [(f"g{n:03d}", c.name, c.request) for n, c in enumerate(iterate(GENERATED))]
    calls: list[CourseCall] = []
    with TestClient(app) as client:
        for patient, name, request in courses:
            response = client.post("/cds-services/cml-tki-resistance", json=request)
            assert response.status_code == 200, response.text
            resources = relabel(course_resources(request), request["context"]["patientId"], patient)
            calls.append(CourseCall(name, patient, response.json()["cards"], resources))
    return calls


@pytest.fixture(scope="session")
def course_export(course_calls: list[CourseCall], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("courses-ndjson")
    write_ndjson(folder, [r for call in course_calls for r in call.resources])
    return folder


@pytest.fixture
def no_tty(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("CMLCDS_PSEUDONYM_SECRET", raising=False)
    yield
