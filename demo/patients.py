"""The demo's named patients: courses the tests and the benchmark already use, as FHIR resources on a server.

Each patient is one course of `bench.courses.COURSES` (built with `tests/builders.py`): its prefetch
resources, given the patient's own id (resource ids prefixed with it, references rewritten) and a Patient
with a name, sex and birth date. The courses are dated as of `tests.builders.TODAY`; `resources()` moves
every date by the same number of days so that the course ends on the day the demo runs — the intervals the
rules read (months on a TKI, time since the last test) are unchanged, so the cards are the course's cards.
`expected` is what the service answers for the patient (finding codes, most urgent first), checked by
tests/demo.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

__all__ = ["DEMO_PATIENTS", "DemoPatient", "resources"]


@dataclass(frozen=True)
class DemoPatient:
    id: str
    given: str
    family: str
    gender: str
    birth_date: str
    course: str  # the code that starts the course's name in bench.courses.COURSES ("C13", "P1", …)
    story: str  # one line: what the clinician sees
    expected: tuple[str, ...]  # finding codes of the cards, in the service's order

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}"


DEMO_PATIENTS: tuple[DemoPatient, ...] = (
    DemoPatient(
        id="demo-t315i",
        given="Henrik",
        family="Halvorsen",
        gender="male",
        birth_date="1958-03-14",
        course="C13",
        story="T315I found on nilotinib after imatinib failure: two TKIs failed",
        expected=("avoid-tki", "milestone-failure", "sct-referral"),
    ),
    DemoPatient(
        id="demo-tfr-relapse",
        given="Maria",
        family="Lindqvist",
        gender="female",
        birth_date="1969-09-02",
        course="V13b",
        story="molecular relapse after stopping imatinib (TFR), no MMR 4.5 months after the restart",
        expected=("mutation-testing",),
    ),
    DemoPatient(
        id="demo-optimal",
        given="Samuel",
        family="Okafor",
        gender="male",
        birth_date="1981-06-21",
        course="C1",
        story="imatinib, every ELN milestone met, MMR at 12 months: nothing to act on, no card",
        expected=(),
    ),
    DemoPatient(
        id="demo-accelerated",
        given="Rosa",
        family="Delgado",
        gender="female",
        birth_date="1963-11-30",
        course="W5",
        story="progression to accelerated phase (blasts 18%) on dasatinib started in chronic phase",
        expected=("advanced-phase", "milestone-failure", "mutation-testing"),
    ),
    DemoPatient(
        id="demo-pregnant",
        given="Amira",
        family="Haddad",
        gender="female",
        birth_date="1994-05-08",
        course="P1",
        story="pregnant on dasatinib",
        expected=("pregnancy",),
    ),
)

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(T.*)?$")
_ORIGINAL_PATIENT = "cml-1"


def _course_request(code: str) -> dict[str, Any]:
    from bench.courses import COURSES  # the course set imports the tests' builders: only when needed

    for course in COURSES:
        if course.name.split(" ", 1)[0] == code:
            return copy.deepcopy(course.request)
    raise KeyError(f"no course {code!r} in bench.courses.COURSES")


def _course_resources(request: dict[str, Any]) -> list[dict[str, Any]]:
    """Every resource of the prefetch, once (a resource can sit under two keys), the Patient left out."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for value in request.get("prefetch", {}).values():
        if not isinstance(value, dict):
            continue
        entries = [entry.get("resource") for entry in value.get("entry", [])] if "entry" in value else [value]
        for resource in entries:
            if isinstance(resource, dict) and resource.get("resourceType") not in (None, "Patient", "Bundle"):
                found.setdefault((resource["resourceType"], resource["id"]), resource)
    return list(found.values())


def _shift(value: Any, days: int) -> Any:
    """Every FHIR date or dateTime moved by `days` (partial dates and other strings unchanged)."""
    if isinstance(value, dict):
        return {key: _shift(item, days) for key, item in value.items()}
    if isinstance(value, list):
        return [_shift(item, days) for item in value]
    if isinstance(value, str) and (match := _DAY.match(value)):
        year, month, day, rest = match.groups()
        try:
            moved = date(int(year), int(month), int(day)) + timedelta(days=days)
        except ValueError:
            return value
        return moved.isoformat() + (rest or "")
    return value


def _rewrite_references(value: Any, renamed: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {
            key: renamed.get(item, item)
            if key == "reference" and isinstance(item, str)
            else _rewrite_references(item, renamed)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_rewrite_references(item, renamed) for item in value]
    return value


def _patient_resource(patient: DemoPatient) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": patient.id,
        "meta": {"tag": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HTEST"}]},
        "name": [{"use": "official", "family": patient.family, "given": [patient.given]}],
        "gender": patient.gender,
        "birthDate": patient.birth_date,
    }


def resources(patient: DemoPatient, today: date) -> list[dict[str, Any]]:
    """The patient's FHIR resources, dated so that the course's own "today" falls on `today`."""
    from tests.builders import TODAY

    course = _course_resources(_course_request(patient.course))
    renamed = {f"Patient/{_ORIGINAL_PATIENT}": f"Patient/{patient.id}"}
    for resource in course:
        new_id = f"{patient.id}-{resource['id']}"
        if len(new_id) > 64:
            raise ValueError(f"{new_id!r} is longer than a FHIR id may be")
        renamed[f"{resource['resourceType']}/{resource['id']}"] = f"{resource['resourceType']}/{new_id}"
        resource["id"] = new_id
    moved = [_shift(_rewrite_references(resource, renamed), (today - TODAY).days) for resource in course]
    return [_patient_resource(patient), *moved]
