"""Courses for the label's "do not administer" and organ-function doses (issue #23, items 3 and 4).

Each is a chronic-phase patient on track (no milestone card), so that what the course shows is the label
rule alone: the nilotinib boxed warning (a low potassium last week; long QT syndrome), a starting dose by
creatinine clearance or eGFR, a starting dose in severe hepatic impairment, and a patient whose values are
normal (no card). Part of the course set (`bench.courses.COURSES`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.builders import (
    PATIENT,
    TODAY,
    bcr_abl1,
    condition,
    days_after,
    hook_request,
    lab_observation,
    next_id,
    tki_statement,
)

__all__ = ["child_pugh", "organ_courses"]

_RANGE_K = {"low": {"value": 3.5, "unit": "mmol/L"}, "high": {"value": 5.1, "unit": "mmol/L"}}


def _ago(months: float) -> date:
    return days_after(TODAY, -months)


def _on_track(start: date) -> list[dict[str, Any]]:
    """Optimal at 3, 6 and 12 months, MMR since."""
    return [bcr_abl1(days_after(start, m), v) for m, v in ((3, 5.0), (6, 0.5), (12, 0.05), (18, 0.02))]


def child_pugh(taken: date, grade: str, *, ident: str | None = None) -> dict[str, Any]:
    """A Child-Pugh class recorded as an Observation named so (no LOINC code for it was verified)."""
    return {
        "resourceType": "Observation",
        "id": ident or next_id("cp"),
        "status": "final",
        "code": {"text": "Child-Pugh class"},
        "subject": {"reference": f"Patient/{PATIENT}"},
        "effectiveDateTime": taken.isoformat(),
        "valueCodeableConcept": {"text": f"Class {grade}"},
    }


def _with_labs(request: dict[str, Any], *observations: dict[str, Any]) -> dict[str, Any]:
    """Lab values in the prefetch key that asks for them (bloodCounts; Child-Pugh by name: blastsByName)."""
    for observation in observations:
        key = "blastsByName" if "coding" not in observation["code"] else "bloodCounts"
        request["prefetch"][key]["entry"].append({"resource": observation})
    return request


def organ_courses() -> list[tuple[str, dict[str, Any]]]:
    """(name, patient-view request) for each course."""
    start = _ago(20)
    week_ago = days_after(TODAY, -0.25)
    return [
        (
            "O1 nilotinib with potassium 3.1 mmol/L last week",
            _with_labs(
                hook_request(
                    transcripts=_on_track(start),
                    medications=[tki_statement("nilotinib", start, dose_mg=300, per_day=2)],
                ),
                lab_observation(
                    "2823-3",
                    week_ago,
                    value=3.1,
                    unit="mmol/L",
                    ident="k-1",
                    referenceRange=[_RANGE_K],
                ),
            ),
        ),
        (
            "O2 nilotinib with long QT syndrome",
            hook_request(
                transcripts=_on_track(start),
                medications=[tki_statement("nilotinib", start, dose_mg=300, per_day=2)],
                conditions=[condition("9651007", "Long QT syndrome", icd10="I45.81", ident="lqts-1")],
            ),
        ),
        (
            "O3 imatinib 400 mg with creatinine clearance 25 mL/min",
            _with_labs(
                hook_request(transcripts=_on_track(start), medications=[tki_statement("imatinib", start, dose_mg=400)]),
                lab_observation("2164-2", _ago(1), value=25, unit="mL/min", ident="crcl-1"),
            ),
        ),
        (
            "O4 nilotinib second line with severe hepatic impairment (Child-Pugh C)",
            _with_labs(
                hook_request(
                    transcripts=_on_track(start),
                    medications=[
                        tki_statement(
                            "imatinib",
                            _ago(40),
                            end=start,
                            status="stopped",
                            dose_mg=400,
                            statusReason=[{"text": "intolerance"}],
                        ),
                        tki_statement("nilotinib", start, dose_mg=400, per_day=2),
                    ],
                ),
                child_pugh(_ago(2), "C", ident="cp-1"),
            ),
        ),
        (
            "O5 bosutinib second line with eGFR 40",
            _with_labs(
                hook_request(
                    transcripts=_on_track(start),
                    medications=[
                        tki_statement(
                            "imatinib",
                            _ago(40),
                            end=start,
                            status="stopped",
                            dose_mg=400,
                            statusReason=[{"text": "intolerance"}],
                        ),
                        tki_statement("bosutinib", start, dose_mg=500),
                    ],
                ),
                lab_observation("98979-8", _ago(1), value=40, unit="mL/min/{1.73_m2}", ident="egfr-1"),
            ),
        ),
        (
            "O6 nilotinib with normal potassium, magnesium and creatinine clearance",
            _with_labs(
                hook_request(
                    transcripts=_on_track(start),
                    medications=[tki_statement("nilotinib", start, dose_mg=300, per_day=2)],
                ),
                lab_observation("2823-3", week_ago, value=4.2, unit="mmol/L", ident="k-2"),
                lab_observation("2601-3", week_ago, value=0.85, unit="mmol/L", ident="mg-2"),
                lab_observation("2164-2", week_ago, value=95, unit="mL/min", ident="crcl-2"),
            ),
        ),
    ]
