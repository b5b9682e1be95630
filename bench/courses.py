"""An end-to-end course set for measuring the alert burden: the seed vignettes plus everyday courses.

The vignettes are the requests of tests/cds_hooks/test_vignettes.py (V1–V15 and the boundaries), built with
the same FHIR builders; the everyday courses are what a CML clinic mostly sees: on-track patients with
nothing to act on, a warning with an interacting co-medication, a reduced dose, a gap in the record, a
loss of MMR, an overdue test, a TFR candidate. `quiet` marks the courses that must give no card at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from tests.builders import (
    TODAY,
    bcr_abl1,
    condition,
    days_after,
    haplotype,
    hook_request,
    kd_variant,
    procedure,
    tki_statement,
)

from .organ_courses import organ_courses
from .pregnancy_courses import pregnancy_courses
from .transcript_courses import transcript_courses
from .whole_patient_courses import whole_patient_courses

__all__ = ["COURSES", "TODAY", "Course"]

_EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "patient-view.json"
_CP = "Chronic myeloid leukaemia, chronic phase"


@dataclass(frozen=True)
class Course:
    name: str
    request: dict[str, Any]
    quiet: bool = False  # nothing to act on: the answer must be no card
    vignette: bool = False


def _ago(months: float) -> date:
    return days_after(TODAY, -months)


def _stopped(drug: str, start: date, end: date, reason: str, **kw: Any) -> dict[str, Any]:
    return tki_statement(drug, start, end=end, status="stopped", statusReason=[{"text": reason}], **kw)


def _vignettes() -> list[Course]:
    v: list[tuple[str, dict[str, Any]]] = []
    s = _ago(3)
    v.append(
        (
            "V1 imatinib 15% at 3 months",
            hook_request(
                transcripts=[bcr_abl1(days_after(s, 3), 15.0)], medications=[tki_statement("imatinib", s, dose_mg=400)]
            ),
        )
    )
    s = _ago(5)
    v.append(
        (
            "V15 12% at 3 months confirmed 11% at 5",
            hook_request(
                transcripts=[bcr_abl1(days_after(s, 3), 12.0), bcr_abl1(days_after(s, 5), 11.0)],
                medications=[tki_statement("imatinib", s, dose_mg=400)],
            ),
        )
    )
    s = _ago(12.2)
    v.append(
        (
            "V14 boundaries all optimal",
            hook_request(
                transcripts=[
                    bcr_abl1(days_after(s, 3), 10.0),
                    bcr_abl1(days_after(s, 6), 1.0),
                    bcr_abl1(days_after(s, 12), 0.10),
                ],
                medications=[tki_statement("imatinib", s, dose_mg=400)],
            ),
        )
    )
    s = _ago(6)
    v.append(
        (
            "B sample 2 days before 6 months",
            hook_request(
                transcripts=[bcr_abl1(days_after(s, 5.94), 12.0)],
                medications=[tki_statement("imatinib", s, dose_mg=400)],
            ),
        )
    )
    s = _ago(24)
    v.append(
        (
            "B loss of MMR",
            hook_request(
                transcripts=[bcr_abl1(days_after(s, 12), 0.05), bcr_abl1(days_after(s, 23.5), 0.4)],
                medications=[tki_statement("imatinib", s, dose_mg=400)],
            ),
        )
    )
    s = _ago(4)
    t315i, y253h = kd_variant(_ago(5), "Thr315Ile"), kd_variant(_ago(5), "Tyr253His")
    v.append(
        (
            "V2 AP T315I/Y253H on ponatinib+asciminib",
            hook_request(
                transcripts=[bcr_abl1(_ago(4.2), 78.0), bcr_abl1(days_after(s, 3), 86.0)],
                medications=[
                    tki_statement("ponatinib", s, dose_mg=45),
                    tki_statement("asciminib", s, dose_mg=40, per_day=2),
                ],
                variants=[t315i, y253h, haplotype(_ago(5), t315i, y253h)],
                conditions=[condition("92818009", "Chronic myeloid leukaemia, accelerated phase")],
            ),
        )
    )
    v.append(
        (
            "V3 asciminib after primary ponatinib failure",
            hook_request(
                transcripts=[bcr_abl1(_ago(11), 30.0), bcr_abl1(_ago(5), 20.0), bcr_abl1(_ago(0.5), 15.0)],
                medications=[
                    _stopped("ponatinib", _ago(14), _ago(2), "resistance"),
                    tki_statement("asciminib", _ago(2), dose_mg=40, per_day=2),
                ],
            ),
        )
    )
    v.append(
        (
            "V4 asciminib after secondary ponatinib failure",
            hook_request(
                transcripts=[bcr_abl1(_ago(11), 0.5), bcr_abl1(_ago(3), 5.0), bcr_abl1(_ago(0.5), 4.0)],
                medications=[
                    _stopped("ponatinib", _ago(14), _ago(2), "resistance"),
                    tki_statement("asciminib", _ago(2), dose_mg=40, per_day=2),
                ],
            ),
        )
    )
    v.append(
        (
            "V5 ponatinib stopped for intolerance",
            hook_request(
                transcripts=[bcr_abl1(_ago(7), 0.5), bcr_abl1(_ago(3), 0.08), bcr_abl1(_ago(0.5), 0.06)],
                medications=[
                    _stopped("imatinib", _ago(40), _ago(20), "resistance"),
                    _stopped("ponatinib", _ago(20), _ago(6), "intolerance: thrombocytopenia"),
                    tki_statement("asciminib", _ago(6), dose_mg=40, per_day=2),
                ],
            ),
        )
    )
    v.append(
        (
            "V6a T315I on asciminib 200 BID",
            hook_request(
                variants=[kd_variant(_ago(3), "Thr315Ile")],
                medications=[tki_statement("asciminib", _ago(2), dose_mg=200, per_day=2)],
            ),
        )
    )
    v.append(
        (
            "V6b T315I on asciminib 40 BID",
            hook_request(
                variants=[kd_variant(_ago(3), "Thr315Ile")],
                medications=[tki_statement("asciminib", _ago(2), dose_mg=40, per_day=2)],
            ),
        )
    )
    s = _ago(7)
    v.append(
        (
            "V7 refractory after allo-HSCT",
            hook_request(
                transcripts=[bcr_abl1(days_after(s, 3), 30.0), bcr_abl1(days_after(s, 6), 20.0)],
                medications=[tki_statement("asciminib", s, dose_mg=40, per_day=2)],
                procedures=[procedure("234336002", _ago(18), text="Allogeneic haematopoietic stem cell transplant")],
            ),
        )
    )
    v.append(
        (
            "V8 blast phase on asciminib",
            hook_request(
                medications=[tki_statement("asciminib", _ago(1), dose_mg=200, per_day=2)],
                conditions=[condition("92818009", "Chronic myeloid leukaemia in blast crisis")],
            ),
        )
    )
    v.append(
        (
            "V9 asciminib with coronary disease",
            hook_request(
                medications=[
                    _stopped("nilotinib", _ago(20), _ago(3), "intolerance"),
                    tki_statement("asciminib", _ago(3), dose_mg=40, per_day=2),
                ],
                conditions=[condition("53741008", "Coronary arteriosclerosis")],
            ),
        )
    )
    v.append(
        (
            "V10 T315I ponatinib-resistant",
            hook_request(
                variants=[kd_variant(_ago(3), "Thr315Ile")],
                medications=[
                    _stopped("ponatinib", _ago(15), _ago(2), "resistance"),
                    tki_statement("asciminib", _ago(2), dose_mg=200, per_day=2),
                ],
            ),
        )
    )
    v.append(
        (
            "V11 newly diagnosed blast phase",
            hook_request(
                medications=[tki_statement("imatinib", _ago(0.3), dose_mg=600)],
                conditions=[condition("92818009", "Chronic myeloid leukaemia, blast phase")],
            ),
        )
    )
    v.append(
        (
            "V12a asciminib for comorbidities",
            hook_request(
                transcripts=[bcr_abl1(_ago(0.5), 0.5)],
                variants=[kd_variant(_ago(4), None)],
                medications=[tki_statement("asciminib", _ago(4), dose_mg=40, per_day=2)],
                conditions=[condition("60046008", "Pleural effusion")],
            ),
        )
    )
    s = _ago(7)
    v.append(
        (
            "V12b T315I on ponatinib 45 at 0.9%",
            hook_request(
                transcripts=[bcr_abl1(days_after(s, 3), 8.0), bcr_abl1(days_after(s, 6), 0.9)],
                variants=[kd_variant(_ago(8), "Thr315Ile")],
                medications=[tki_statement("ponatinib", s, dose_mg=45)],
            ),
        )
    )
    v.append(
        (
            "V13a TFR candidate in MR4.5",
            hook_request(
                transcripts=[bcr_abl1(_ago(m), 0.002) for m in range(42, 0, -3)],
                medications=[tki_statement("imatinib", _ago(78), dose_mg=400)],
                conditions=[condition("92818009", _CP)],
            ),
        )
    )
    v.append(
        (
            "V13b TFR relapse, no MMR after restart",
            hook_request(
                transcripts=[bcr_abl1(_ago(6), 0.4), bcr_abl1(_ago(2), 0.3), bcr_abl1(_ago(0.5), 0.2)],
                medications=[
                    _stopped("imatinib", _ago(90), _ago(9), "treatment-free remission"),
                    tki_statement("imatinib", _ago(5), dose_mg=400),
                ],
            ),
        )
    )
    return [Course(name, request, vignette=True) for name, request in v]


def _on_track(drug: str, dose: float, per_day: int, months: int, values: list[float]) -> dict[str, Any]:
    start = _ago(months)
    step = months / len(values)
    results = [bcr_abl1(days_after(start, step * (i + 1) - 0.3), value) for i, value in enumerate(values)]
    return hook_request(
        transcripts=results,
        medications=[tki_statement(drug, start, dose_mg=dose, per_day=per_day)],
        conditions=[condition("92818009", _CP)],
    )


def _everyday() -> list[Course]:
    c: list[Course] = [
        Course(
            "C1 imatinib on track, MMR at 12 months", _on_track("imatinib", 400, 1, 12, [8, 0.9, 0.3, 0.08]), quiet=True
        ),
        Course(
            "C2 dasatinib in MR4 for 3 years",
            _on_track("dasatinib", 100, 1, 40, [5, 0.5, 0.05] + [0.008] * 10),
            quiet=True,
        ),
        Course("C3 nilotinib 0.6% at 6 months", _on_track("nilotinib", 300, 2, 6, [4.0, 0.6]), quiet=True),
        Course("C4 bosutinib on track at 9 months", _on_track("bosutinib", 400, 1, 9, [6.0, 0.8, 0.4]), quiet=True),
    ]
    s = _ago(6.2)
    c.append(
        Course(
            "C5 dasatinib warning at 6 months with omeprazole",
            hook_request(
                transcripts=[bcr_abl1(days_after(s, 3), 9.0), bcr_abl1(days_after(s, 6), 4.0)],
                medications=[tki_statement("dasatinib", s, dose_mg=100), tki_statement("omeprazole", _ago(10))],
            ),
        )
    )
    s = _ago(12.3)
    c.append(
        Course(
            "C6 imatinib failure at 12 months with rifampicin",
            hook_request(
                transcripts=[
                    bcr_abl1(days_after(s, 3), 20.0),
                    bcr_abl1(days_after(s, 6), 8.0),
                    bcr_abl1(days_after(s, 12), 3.0),
                ],
                medications=[tki_statement("imatinib", s, dose_mg=400), tki_statement("rifampicin", _ago(8))],
            ),
        )
    )
    s = _ago(6.1)
    c.append(
        Course(
            "C7 dasatinib 50 mg, warning at 6 months",
            hook_request(
                transcripts=[bcr_abl1(days_after(s, 3), 7.0), bcr_abl1(days_after(s, 6), 3.0)],
                medications=[tki_statement("dasatinib", s, dose_mg=50)],
            ),
        )
    )
    c.append(
        Course(
            "C8 ponatinib 15 mg, response lost",
            hook_request(
                transcripts=[bcr_abl1(_ago(10), 0.5), bcr_abl1(_ago(4), 0.6), bcr_abl1(_ago(0.5), 2.5)],
                medications=[
                    _stopped("dasatinib", _ago(40), _ago(16), "resistance"),
                    tki_statement("ponatinib", _ago(16), dose_mg=15),
                ],
            ),
        )
    )
    s = _ago(36)
    c.append(
        Course(
            "C9 nilotinib loss of MMR after 3 years",
            hook_request(
                transcripts=[
                    bcr_abl1(days_after(s, 12), 0.05),
                    bcr_abl1(days_after(s, 24), 0.03),
                    bcr_abl1(days_after(s, 35.5), 0.6),
                ],
                medications=[tki_statement("nilotinib", s, dose_mg=300, per_day=2)],
            ),
        )
    )
    s = _ago(12.2)
    c.append(
        Course(
            "C10 imatinib warning with a 1-month gap in the record",
            hook_request(
                transcripts=[
                    bcr_abl1(days_after(s, 3), 9.0),
                    bcr_abl1(days_after(s, 6), 6.0),
                    bcr_abl1(days_after(s, 12), 4.0),
                ],
                medications=[
                    tki_statement("imatinib", s, end=days_after(s, 4), status="completed", dose_mg=400),
                    tki_statement("imatinib", days_after(s, 5), dose_mg=400),
                ],
            ),
        )
    )
    c.append(
        Course(
            "C13 T315I found on nilotinib after imatinib failure",
            hook_request(
                transcripts=[bcr_abl1(_ago(9), 12.0), bcr_abl1(_ago(3), 6.0), bcr_abl1(_ago(0.5), 8.0)],
                variants=[kd_variant(_ago(0.4), "Thr315Ile")],
                medications=[
                    _stopped("imatinib", _ago(30), _ago(12), "resistance"),
                    tki_statement("nilotinib", _ago(12), dose_mg=400, per_day=2),
                ],
            ),
        )
    )
    s = _ago(30)
    c.append(
        Course(
            "C11 imatinib in MMR, last test 9 months ago",
            hook_request(
                transcripts=[
                    bcr_abl1(days_after(s, 6), 0.5),
                    bcr_abl1(days_after(s, 12), 0.07),
                    bcr_abl1(days_after(s, 21), 0.04),
                ],
                medications=[tki_statement("imatinib", s, dose_mg=400)],
            ),
        )
    )
    s = _ago(9)
    c.append(
        Course(
            "C12 nilotinib with citalopram, on track",
            hook_request(
                transcripts=[
                    bcr_abl1(days_after(s, 3), 5.0),
                    bcr_abl1(days_after(s, 6), 0.5),
                    bcr_abl1(days_after(s, 8.8), 0.2),
                ],
                medications=[
                    tki_statement("nilotinib", s, dose_mg=300, per_day=2),
                    tki_statement("citalopram", _ago(20)),
                ],
            ),
        )
    )
    c.append(Course("README example (examples/patient-view.json)", json.loads(_EXAMPLE.read_text())))
    return c


COURSES: tuple[Course, ...] = (
    *_vignettes(),
    *_everyday(),
    # the pathway courses (issues #22, #23) are built to show one rule each, like the seed vignettes: they are
    # not the everyday mix the alert burden is measured on
    *(Course(name, request, vignette=True) for name, request in whole_patient_courses()),
    *(Course(name, request, vignette=True) for name, request in pregnancy_courses()),
    *(Course(name, request, vignette=True) for name, request in transcript_courses()),
    *(Course(name, request, vignette=True, quiet=name.startswith("O6")) for name, request in organ_courses()),
)
