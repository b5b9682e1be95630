"""`cml-cds worklist --fhir-server` against a real FHIR server that implements `$export`: sekmet-fhir.

sekmet-fhir 0.1.1 serves the Bulk Data kick-off (system, Patient and Group level, `Prefer: respond-async`,
`_type`), a status endpoint answering `202` + `Retry-After` until the manifest, NDJSON files behind its auth, and a
SMART Backend Services token endpoint (`client_credentials`, `private_key_jwt` checked against the client's
registered JWKS: `aud` = its token URL, `iss` = `sub`, `exp` ≤ 5 min, single-use `jti`). The course set is loaded
into it; the rows the export gives must equal the patient-view cards of the same courses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cds_hooks.cli import main
from tests.builders import TODAY
from tests.fhir_server import FhirServer, running_fhir_server
from tests.worklist.conftest import CourseCall

from .keys import write_key

TOKEN = "worklist-loader-token"
CLIENT = "cml-worklist"
#: The courses loaded (every course of bench.courses.COURSES; the generated ones stay in the NDJSON test).
pytestmark = pytest.mark.fhir_server


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], Path]:
    folder = tmp_path_factory.mktemp("keys")
    path, public = write_key(folder, "rsa")
    stranger, _ = write_key(folder, "ec")  # a key the server never registered
    return path, public, stranger


@pytest.fixture(scope="module")
def courses(course_calls: list[CourseCall]) -> list[CourseCall]:
    return [call for call in course_calls if call.patient.startswith("c")]


@pytest.fixture(scope="module")
def server(keys: tuple[Path, dict[str, Any], Path], courses: list[CourseCall]) -> Iterator[FhirServer]:
    clients = [{"client_id": CLIENT, "jwks": {"keys": [keys[1]]}, "scopes": "system/*.rs"}]
    # validation off: some courses hold deliberately odd records (the mapping reports them, as the hook does)
    with running_fhir_server(TOKEN, validation="off", smart_clients=clients) as srv:
        for call in courses:
            srv.put_all(call.resources)
        members = [{"entity": {"reference": f"Patient/{call.patient}"}} for call in courses[:10]]
        srv.put({"resourceType": "Group", "id": "cml-clinic", "type": "person", "actual": True, "member": members})
        yield srv


def _run(srv: FhirServer, key: Path, out: Path, *extra: str) -> int:
    return main(
        [
            "worklist",
            "--fhir-server",
            srv.base_url,
            "--client-id",
            CLIENT,
            "--private-key",
            str(key),
            "--kid",
            "worklist-rsa",
            "--out",
            str(out),
            "--as-of",
            TODAY.isoformat(),
            "--fhir-ids",
            "--no-progress",
            "--workers",
            "2",
            *extra,
        ]
    )


def _rows(out: Path) -> dict[str, dict[str, Any]]:
    return {row["patient"]: row for row in json.loads((out / "worklist.json").read_text())["rows"]}


def test_system_export_rows_equal_cards(
    server: FhirServer, keys: tuple[Path, dict[str, Any], Path], courses: list[CourseCall], tmp_path: Path
) -> None:
    assert _run(server, keys[0], tmp_path) == 0
    rows = _rows(tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["patients"] == len(courses) and summary["errors"] == 0 and summary["skipped"] == 0
    assert any(note.startswith("$export:") for note in summary["notes"])
    wrong = []
    for call in courses:
        codes = [card["extension"]["org.cmlcds.finding"]["code"] for card in call.cards]
        row = rows.get(call.patient)
        if [c for c in codes if c != "data-excluded"]:
            if row is None or (row["finding"], row["summary"], row["codes"]) != (
                codes[0],
                call.cards[0]["summary"],
                codes,
            ):
                wrong.append(f"{call.name}: {row and row['codes']} != {codes}")
        elif row is not None:
            wrong.append(f"{call.name}: a row but no actionable card")
    assert not wrong, "\n".join(wrong)


def test_group_export_lists_the_members_only(
    server: FhirServer, keys: tuple[Path, dict[str, Any], Path], courses: list[CourseCall], tmp_path: Path
) -> None:
    assert _run(server, keys[0], tmp_path, "--group", "cml-clinic") == 0
    members = {call.patient for call in courses[:10]}
    assert set(_rows(tmp_path)) <= members
    assert json.loads((tmp_path / "summary.json").read_text())["patients"] == len(members)


def test_an_unregistered_key_gets_no_token(
    server: FhirServer, keys: tuple[Path, dict[str, Any], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(server, keys[2], tmp_path) == 1
    assert "no access token" in capsys.readouterr().err
    assert not (tmp_path / "worklist.csv").exists()
