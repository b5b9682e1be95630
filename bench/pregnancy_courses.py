"""Pregnancy courses (issue #23 item 1): a TKI in pregnancy, a planned pregnancy with and without the TFR
criteria, a man planning to conceive.

Part of the course set (`bench.courses.COURSES`), so the alert burden, the coherence checker (tests/coherence)
and the end-to-end tests (tests/cds_hooks/test_pregnancy.py) all read them. Cards before issue #23 and after:

- P1 pregnant on dasatinib: before, a *warning* "Weigh dasatinib against recorded Pregnancy (label warning)" —
  "choose a TKI without this caution"; after, one *critical* `pregnancy` card "Stop dasatinib: pregnant …".
- P2 pregnant after planning (estimated delivery date ahead, planning goal still open): before, no card;
  after, the critical `pregnancy` card (pregnant outranks the plan).
- P3 a woman planning pregnancy who meets the ELN 2020 TFR criteria: before, the info `tfr-eligible` card;
  after, one warning `pregnancy` card whose first line is the TFR route (the TFR card folded into it).
- P4 a woman planning pregnancy on nilotinib who does not meet them (2 years on TKI): before, no card; after,
  a warning `pregnancy` card "needs a specialist (CML team) discussion".
- P5 a man planning to conceive, meeting the TFR criteria: no pregnancy card (the `tfr-eligible` card only).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.builders import TODAY, bcr_abl1, condition, days_after, hook_request, lab_observation, tki_statement

__all__ = ["pregnancy_courses"]

_LOINC = "http://loinc.org"


def _ago(months: float) -> date:
    return days_after(TODAY, -months)


def _with_sex(request: dict[str, Any], gender: str) -> dict[str, Any]:
    request["prefetch"]["patient"]["gender"] = gender
    return request


def _goal(text: str, ident: str) -> dict[str, Any]:
    return {
        "resourceType": "Goal",
        "id": ident,
        "lifecycleStatus": "active",
        "description": {"text": text},
        "subject": {"reference": "Patient/cml-1"},
    }


def _deep_responder(drug: str, years: float, prefix: str) -> dict[str, Any]:
    """Chronic phase, e14a2, first line; MR4 or deeper for the last ~3.5 years (TFR criteria met when > 5 y)."""
    start = _ago(years * 12)
    results = [bcr_abl1(days_after(start, 3), 4.0, ident=f"{prefix}-r3"), bcr_abl1(days_after(start, 12), 0.05)]
    results += [bcr_abl1(_ago(m), 0.004, ident=f"{prefix}-mr4-{m}") for m in range(42, -1, -6)]
    return hook_request(
        transcripts=results,
        medications=[tki_statement(drug, start, dose_mg=400 if drug == "imatinib" else 300, ident=f"{prefix}-tki")],
        conditions=[condition("92818009", "CML, chronic phase, e14a2 transcript", ident=f"{prefix}-cml")],
    )


def pregnancy_courses() -> list[tuple[str, dict[str, Any]]]:
    courses: list[tuple[str, dict[str, Any]]] = []

    start = _ago(20)
    p1 = hook_request(
        transcripts=[
            bcr_abl1(days_after(start, 3), 6.0, ident="p1-r3"),
            bcr_abl1(days_after(start, 12), 0.08, ident="p1-r12"),
            bcr_abl1(_ago(1), 0.05, ident="p1-r19"),
        ],
        medications=[tki_statement("dasatinib", start, dose_mg=100, ident="p1-das")],
        conditions=[condition("77386006", "Pregnancy", onset=_ago(1.5), ident="p1-preg")],
    )
    courses.append(("P1 pregnant on dasatinib", _with_sex(p1, "female")))

    start = _ago(16)
    p2 = hook_request(
        transcripts=[
            bcr_abl1(days_after(start, 3), 8.0, ident="p2-r3"),
            bcr_abl1(days_after(start, 12), 0.09, ident="p2-r12"),
            bcr_abl1(_ago(1), 0.06, ident="p2-r15"),
        ],
        medications=[tki_statement("imatinib", start, dose_mg=400, ident="p2-ima")],
        goals=[_goal("Planning pregnancy", "p2-goal")],
    )
    edd = lab_observation("11778-8", _ago(0.5), text="Estimated date of delivery", ident="p2-edd")
    edd["valueDateTime"] = (TODAY + timedelta(days=200)).isoformat()
    status = lab_observation("82810-3", _ago(0.5), text="Pregnancy status", ident="p2-status")
    status["valueCodeableConcept"] = {"coding": [{"system": _LOINC, "code": "LA15173-0", "display": "Pregnant"}]}
    p2["prefetch"]["pregnancyStatus"]["entry"] = [{"resource": edd}, {"resource": status}]
    courses.append(("P2 planning, now pregnant on imatinib (EDD ahead)", _with_sex(p2, "female")))

    p3 = _deep_responder("imatinib", 6.5, "p3")
    p3["prefetch"]["goals"]["entry"] = [{"resource": _goal("Wishes to conceive", "p3-goal")}]
    courses.append(("P3 planning pregnancy, TFR criteria met (imatinib 6.5 y, MR4 3.5 y)", _with_sex(p3, "female")))

    start = _ago(24)
    p4 = hook_request(
        transcripts=[
            bcr_abl1(days_after(start, 3), 3.0, ident="p4-r3"),
            bcr_abl1(days_after(start, 12), 0.07, ident="p4-r12"),
            bcr_abl1(_ago(2), 0.03, ident="p4-r22"),
        ],
        medications=[tki_statement("nilotinib", start, dose_mg=300, per_day=2, ident="p4-nil")],
        conditions=[condition(None, "Planning a pregnancy", ident="p4-plan")],
    )
    courses.append(("P4 planning pregnancy on nilotinib, TFR criteria not met", _with_sex(p4, "female")))

    p5 = _deep_responder("imatinib", 6.5, "p5")
    p5["prefetch"]["goals"]["entry"] = [{"resource": _goal("Wishes to conceive with his partner", "p5-goal")}]
    courses.append(("P5 man planning to conceive (TFR criteria met)", _with_sex(p5, "male")))
    return courses
