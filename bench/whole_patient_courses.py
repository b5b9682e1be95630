"""Courses that need the patient as a whole (issue #22): one per way the cards used to contradict each other.

Each is a course a haematologist recognises; before the clinical state, each gave cards that disagreed with
one another or with the disease. They are part of the course set (`bench.courses.COURSES`), so the alert
burden, the coherence checker (tests/coherence) and the end-to-end tests all read them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.builders import (
    TODAY,
    bcr_abl1,
    condition,
    days_after,
    hook_request,
    kd_variant,
    lab_observation,
    stage_group,
    tki_statement,
)

__all__ = ["whole_patient_courses"]

_CML = "92818009"
_ACCELERATED = "278179005"  # SNOMED accelerated phase (clinical-reference §10c: as the Danish KIP IG codes it)
_PLUS_8 = "47,XY,+8,t(9;22)(q34;q11.2)[14]/46,XY,t(9;22)(q34;q11.2)[6]"


def _ago(months: float) -> date:
    return days_after(TODAY, -months)


def _stopped(drug: str, start: date, end: date, reason: str, **kw: Any) -> dict[str, Any]:
    return tki_statement(drug, start, end=end, status="stopped", statusReason=[{"text": reason}], **kw)


def _with_karyotype(request: dict[str, Any], taken: date, karyotype: str) -> dict[str, Any]:
    observation = lab_observation("x", taken, text="Karyotype", value=karyotype, ident="karyotype-1")
    request["prefetch"]["karyotype"]["entry"] = [{"resource": observation}]
    return request


def _with_blasts(request: dict[str, Any], taken: date, percent: float) -> dict[str, Any]:
    observation = lab_observation("26446-5", taken, value=percent, unit="%", ident="blasts-1")
    request["prefetch"]["blasts"]["entry"] = [{"resource": observation}]
    return request


def whole_patient_courses() -> list[tuple[str, dict[str, Any]]]:
    """(name, patient-view request) for each course."""
    courses: list[tuple[str, dict[str, Any]]] = []
    s = _ago(50)
    courses.append(
        (
            "W1 AP at diagnosis 4 years ago, now in MR4 on imatinib",
            hook_request(
                transcripts=[bcr_abl1(days_after(s, m), v) for m, v in ((3, 4.0), (6, 0.6), (12, 0.05))]
                + [bcr_abl1(days_after(s, m), 0.0032, comparator="<") for m in (24, 36, 47)],
                medications=[tki_statement("imatinib", s, dose_mg=600)],
                conditions=[condition(_CML, "Chronic myeloid leukaemia, accelerated phase", onset=days_after(s, -0.3))],
            ),
        )
    )
    s = _ago(20)
    courses.append(
        (
            "W2 two results on one day, two logs apart",
            hook_request(
                transcripts=[
                    bcr_abl1(days_after(s, 3), 6.0),
                    bcr_abl1(days_after(s, 6), 0.5),
                    bcr_abl1(days_after(s, 12), 0.06),
                    bcr_abl1(_ago(0.3), 3.0),
                    bcr_abl1(_ago(0.3), 0.03),
                ],
                medications=[tki_statement("imatinib", s, dose_mg=400)],
            ),
        )
    )
    s = _ago(10)
    courses.append(
        (
            "W3 +8 emerging on dasatinib with a 6-month warning",
            _with_karyotype(
                hook_request(
                    transcripts=[bcr_abl1(days_after(s, 3), 8.0), bcr_abl1(days_after(s, 6), 4.0)],
                    medications=[tki_statement("dasatinib", s, dose_mg=100)],
                ),
                _ago(1),
                _PLUS_8,
            ),
        )
    )
    courses.append(
        (
            "W4 blast phase with T315I after dasatinib failure",
            hook_request(
                transcripts=[bcr_abl1(_ago(1.5), 40.0), bcr_abl1(_ago(0.2), 65.0)],
                variants=[kd_variant(_ago(1), "Thr315Ile")],
                medications=[
                    _stopped("dasatinib", _ago(30), _ago(2), "resistance", dose_mg=100),
                    tki_statement("ponatinib", _ago(2), dose_mg=45),
                ],
                conditions=[condition(_CML, "Chronic myeloid leukaemia in blast crisis", onset=_ago(2))],
            ),
        )
    )
    s = _ago(26)
    courses.append(
        (
            "W5 progression to AP on dasatinib 100 mg started in chronic phase",
            _with_blasts(
                hook_request(
                    transcripts=[
                        bcr_abl1(days_after(s, 3), 7.0),
                        bcr_abl1(days_after(s, 12), 0.5),
                        bcr_abl1(_ago(0.5), 22.0),
                    ],
                    medications=[tki_statement("dasatinib", s, dose_mg=100)],
                ),
                _ago(0.5),
                18.0,
            ),
        )
    )
    s = _ago(24)
    courses.append(
        (
            "W6 ponatinib reduced 45 to 15 mg at 1%, response then lost",
            hook_request(
                transcripts=[
                    bcr_abl1(days_after(s, 3), 8.0),
                    bcr_abl1(days_after(s, 6), 0.8),
                    bcr_abl1(days_after(s, 12), 0.4),
                    bcr_abl1(_ago(0.5), 4.0),
                ],
                medications=[
                    _stopped("imatinib", _ago(60), _ago(36), "resistance", dose_mg=400),
                    _stopped("dasatinib", _ago(36), s, "resistance", dose_mg=100),
                    _stopped("ponatinib", s, days_after(s, 6.5), "dose reduced", dose_mg=45),
                    tki_statement("ponatinib", days_after(s, 6.5), dose_mg=15),
                ],
            ),
        )
    )
    # The phase history gap of issue #22: a phase recorded by an mCODE stage group (not a Condition) is read
    # and ages out like a Condition's. Here it is recent: accelerated phase at diagnosis, on the AP dose.
    s = _ago(2.5)
    courses.append(
        (
            "W7 accelerated phase recorded by a stage group at diagnosis, on dasatinib 140 mg",
            hook_request(
                transcripts=[bcr_abl1(days_after(s, -0.1), 60.0), bcr_abl1(days_after(s, 2), 20.0)],
                medications=[tki_statement("dasatinib", s, dose_mg=140)],
                conditions=[condition(_CML, "Chronic myeloid leukaemia", onset=days_after(s, -0.2))],
                staging=[stage_group(days_after(s, -0.2), snomed=_ACCELERATED, loinc="21902-2", ident="stage-ap-1")],
            ),
        )
    )
    return courses
