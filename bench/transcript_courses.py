"""Courses for the atypical transcripts and for a TKI missing from the record (issue #23, items 2 and 6).

An atypical BCR::ABL1 transcript (e1a2, e19a2, e13a3, …) is not measured by standard IS qPCR: its results
come from a transcript-specific assay as a BCR::ABL1/ABL1 ratio *not* on the International Scale (LOINC
46434-7), and the patient is followed on that scale (docs/methods/transcripts.md). The last course is a
patient whose TKI is missing from the medication list while the results show it working. All are part of
the course set (`bench.courses.COURSES`): the alert burden, the coherence checker and the end-to-end tests
read them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.builders import TODAY, bcr_abl1, bcr_abl1_ratio, condition, days_after, hook_request, tki_statement

__all__ = ["transcript_courses"]

_CML = "92818009"


def _ago(months: float) -> date:
    return days_after(TODAY, -months)


def _cml(transcript: str) -> dict[str, Any]:
    return condition(_CML, f"Chronic myeloid leukaemia, chronic phase, BCR::ABL1 {transcript} transcript")


def _statin(start: date) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": "ms-atorvastatin",
        "status": "active",
        "medicationCodeableConcept": {"text": "atorvastatin 20 mg tablet"},
        "subject": {"reference": "Patient/cml-1"},
        "effectivePeriod": {"start": start.isoformat()},
    }


def transcript_courses() -> list[tuple[str, dict[str, Any]]]:
    """(name, patient-view request) for each course."""
    courses: list[tuple[str, dict[str, Any]]] = []
    s = _ago(29)
    courses.append(
        (
            "T1 e1a2 on its own scale, falling and stable, last assay two weeks ago",
            hook_request(
                transcripts=[bcr_abl1_ratio(days_after(s, -0.3), 45.0)]
                + [bcr_abl1_ratio(days_after(s, m), v) for m, v in ((3, 6.0), (6, 0.9), (12, 0.15), (18, 0.08))]
                + [bcr_abl1_ratio(days_after(s, 24), 0.06), bcr_abl1_ratio(_ago(0.5), 0.05)],
                medications=[tki_statement("imatinib", s, dose_mg=400)],
                conditions=[_cml("e1a2 (p190)")],
            ),
        )
    )
    s = _ago(30)
    courses.append(
        (
            "T2 e1a2 on its own scale, a 1-log rise from the nadir to 0.4%",
            hook_request(
                transcripts=[bcr_abl1_ratio(days_after(s, -0.3), 50.0)]
                + [bcr_abl1_ratio(days_after(s, m), v) for m, v in ((3, 4.0), (6, 0.5), (12, 0.03), (18, 0.02))]
                + [bcr_abl1_ratio(days_after(s, 24), 0.05), bcr_abl1_ratio(_ago(0.5), 0.4)],
                medications=[tki_statement("dasatinib", s, dose_mg=100)],
                conditions=[_cml("e1a2 (p190)")],
            ),
        )
    )
    s = _ago(40)
    courses.append(
        (
            "T3 e1a2 on its own scale, undetectable for 18 months, now detectable",
            hook_request(
                transcripts=[bcr_abl1_ratio(days_after(s, -0.3), 30.0)]
                + [bcr_abl1_ratio(days_after(s, m), v) for m, v in ((3, 2.0), (6, 0.2), (12, 0.01))]
                + [bcr_abl1_ratio(days_after(s, m), 0.001, comparator="<") for m in (18, 24, 30, 36)]
                + [bcr_abl1_ratio(_ago(0.5), 0.004)],
                medications=[tki_statement("nilotinib", s, dose_mg=300, per_day=2)],
                conditions=[_cml("e1a2 (p190)")],
            ),
        )
    )
    s = _ago(14)
    courses.append(
        (
            "T4 e19a2 on imatinib with no transcript-specific quantitative result",
            hook_request(
                medications=[tki_statement("imatinib", s, dose_mg=400)],
                conditions=[_cml("e19a2 (p230)")],
            ),
        )
    )
    courses.append(
        (
            "T5 CML with no TKI on the medication list, BCR::ABL1 falling from 40% to 0.9%",
            hook_request(
                transcripts=[
                    bcr_abl1(_ago(11), 40.0),
                    bcr_abl1(_ago(8), 12.0),
                    bcr_abl1(_ago(5), 3.0),
                    bcr_abl1(_ago(0.5), 0.9),
                ],
                medications=[_statin(_ago(24))],
                conditions=[condition(_CML, "Chronic myeloid leukaemia, chronic phase")],
            ),
        )
    )
    return courses
