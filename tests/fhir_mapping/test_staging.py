"""Stage-group Observations (LOINC 21908-9, 21902-2) record the CML phase as a Condition's stage does (issue #22,
"phase history"): read by the same rule, merged with the Conditions' phases before the latest and the earliest
are chosen, and aged out by the clinical state exactly like a Condition's phase."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from fhir_mapping import build_snapshot
from fhir_mapping.exclusions import ExclusionLog
from fhir_mapping.lax import read_resource
from fhir_mapping.observation_kinds import sort_observations
from fhir_mapping.resources import Observation
from fhir_mapping.staging import map_staging
from tests.builders import (
    PATIENT,
    TODAY,
    bcr_abl1,
    bundle,
    condition,
    days_after,
    hook_request,
    lab_observation,
    stage_group,
    tki_statement,
)
from tki_resistance import ClinicalState, Finding, build_state, default_knowledge
from tki_resistance.model import DiseasePhase, PatientSnapshot
from tki_resistance.stages.advanced_phase import advanced_phase_findings

CHRONIC, ACCELERATED = "278177007", "278179005"
KNOWLEDGE = default_knowledge()


def _snapshot(*observations: dict[str, Any], conditions: tuple[dict[str, Any], ...] = ()) -> PatientSnapshot:
    prefetch = {"phaseStaging": bundle(*observations), "conditions": bundle(*conditions)}
    return build_snapshot(PATIENT, prefetch, TODAY)


def _ago(months: float) -> date:
    return days_after(TODAY, -months)


@pytest.mark.parametrize(
    ("observation", "phase"),
    [
        (stage_group(date(2025, 3, 1), snomed=CHRONIC, ident="st-cp"), DiseasePhase.CHRONIC),
        (stage_group(date(2025, 3, 1), snomed=ACCELERATED, loinc="21902-2", ident="st-ap"), DiseasePhase.ACCELERATED),
        (stage_group(date(2025, 3, 1), text="CML in blast crisis", ident="st-bp"), DiseasePhase.BLAST),
        (stage_group(date(2025, 3, 1), text="Accelerated phase", ident="st-ap-words"), DiseasePhase.ACCELERATED),
    ],
)
def test_a_stage_group_records_the_phase(observation: dict[str, Any], phase: DiseasePhase) -> None:
    result = _snapshot(observation)
    assert result.phase is phase and result.diagnosis_phase is phase
    assert result.phase_source == result.diagnosis_phase_source == f"Observation/{observation['id']}"
    assert result.phase_date == result.diagnosis_phase_date == date(2025, 3, 1)
    assert result.exclusions == ()


def test_the_date_is_the_effective_period_start_else_issued_and_an_undated_one_stays_undated() -> None:
    by_period = stage_group(None, snomed=ACCELERATED, ident="st-period")
    by_period["effectivePeriod"] = {"start": "2024-05-06", "end": "2024-05-20"}
    assert _snapshot(by_period).phase_date == date(2024, 5, 6)
    by_issued = stage_group(None, snomed=ACCELERATED, ident="st-issued")
    by_issued["issued"] = "2024-07-08T09:00:00Z"
    assert _snapshot(by_issued).phase_date == date(2024, 7, 8)
    undated = _snapshot(stage_group(None, snomed=ACCELERATED, ident="st-undated"))
    assert (undated.phase, undated.phase_date, undated.phase_source) == (
        DiseasePhase.ACCELERATED,
        None,
        "Observation/st-undated",
    )


@pytest.mark.parametrize(
    ("observation", "reason"),
    [
        (stage_group(date(2025, 3, 1), text="Stage IIA", ident="st-solid"), "not a CML phase the service reads"),
        (stage_group(date(2025, 3, 1), snomed="0000000", ident="st-code"), "not a CML phase the service reads"),
        (
            {**stage_group(date(2025, 3, 1), ident="st-none"), "valueCodeableConcept": None},
            "stage group without a coded value",
        ),
        (
            stage_group(date(2025, 3, 1), snomed=ACCELERATED, status="entered-in-error", ident="st-eie"),
            "status 'entered-in-error'",
        ),
        (stage_group(date(2025, 3, 1), snomed=ACCELERATED, status="registered", ident="st-reg"), "status 'registered'"),
    ],
)
def test_an_unreadable_or_unusable_stage_group_is_excluded_and_said_so(
    observation: dict[str, Any], reason: str
) -> None:
    if observation.get("valueCodeableConcept", {}) is None:
        del observation["valueCodeableConcept"]
    result = _snapshot(observation)
    assert result.phase is DiseasePhase.UNKNOWN and result.phase_source is None
    [exclusion] = result.exclusions
    assert exclusion.reference == f"Observation/{observation['id']}" and reason in exclusion.reason


def test_preliminary_amended_and_corrected_stage_groups_are_read() -> None:
    for status in ("preliminary", "amended", "corrected"):
        result = _snapshot(stage_group(date(2025, 3, 1), snomed=ACCELERATED, status=status, ident=f"st-{status}"))
        assert result.phase is DiseasePhase.ACCELERATED and result.exclusions == ()


def test_another_observation_is_not_a_stage_group() -> None:
    blasts = lab_observation("26446-5", date(2025, 3, 1), value=3.0, unit="%", ident="not-staging")
    blasts["valueCodeableConcept"] = {"text": "accelerated phase"}
    del blasts["valueQuantity"]
    result = build_snapshot(PATIENT, {"blasts": bundle(blasts)}, TODAY)
    assert result.phase is DiseasePhase.UNKNOWN and result.phase_source is None


def test_the_latest_record_of_either_kind_wins_and_the_earliest_is_the_diagnosis_phase() -> None:
    diagnosed = condition("92818009", "Chronic myeloid leukemia, chronic phase", ident="cml-cp", onset=date(2019, 2, 1))
    diagnosed["recordedDate"] = "2019-02-01"
    progression = stage_group(date(2026, 6, 1), snomed=ACCELERATED, ident="st-ap-2026")
    result = _snapshot(progression, conditions=(diagnosed,))
    assert (result.phase, result.phase_source, result.phase_date) == (
        DiseasePhase.ACCELERATED,
        "Observation/st-ap-2026",
        date(2026, 6, 1),
    )
    assert (result.diagnosis_phase, result.diagnosis_phase_source, result.diagnosis_phase_date) == (
        DiseasePhase.CHRONIC,
        "Condition/cml-cp",
        date(2019, 2, 1),
    )
    # the other way round: an AP staging at diagnosis, a later Condition recording chronic phase
    at_diagnosis = stage_group(date(2018, 1, 10), snomed=ACCELERATED, ident="st-ap-2018")
    later = condition("92818009", "CML in chronic phase", ident="cml-cp-2024", onset=date(2024, 1, 1))
    later["recordedDate"] = "2024-01-01"
    result = _snapshot(at_diagnosis, conditions=(later,))
    assert (result.phase, result.phase_source) == (DiseasePhase.CHRONIC, "Condition/cml-cp-2024")
    assert (result.diagnosis_phase, result.diagnosis_phase_source) == (
        DiseasePhase.ACCELERATED,
        "Observation/st-ap-2018",
    )


def test_same_day_records_choose_as_conditions_alone_do() -> None:
    """Same day: the more advanced phase is both today's record and the phase at diagnosis (map_conditions'
    order, unchanged by merging)."""
    chronic = condition("92818009", "CML, chronic phase", ident="cml-same", onset=date(2025, 3, 1))
    chronic["recordedDate"] = "2025-03-01"
    accelerated = stage_group(date(2025, 3, 1), snomed=ACCELERATED, ident="st-same")
    result = _snapshot(accelerated, conditions=(chronic,))
    assert result.phase_source == result.diagnosis_phase_source == "Observation/st-same"


def test_the_list_taking_mapper_gives_what_the_sorted_list_gives() -> None:
    resources = [
        stage_group(date(2025, 3, 1), snomed=ACCELERATED, ident="a"),
        lab_observation("69380-4", date(2025, 3, 1), value=0.5, unit="%", ident="b"),
        stage_group(date(2025, 3, 1), text="Stage IIA", ident="c"),
    ]
    observations = [read_resource(r, Observation) for r in resources]
    kinds = sort_observations(observations)
    assert [o.id for o in kinds.staging] == ["a", "c"]
    whole, part = ExclusionLog(), ExclusionLog()
    assert map_staging(observations, whole) == map_staging(kinds.staging, part)
    assert whole.items == part.items and len(whole.items) == 1


# --- the clinical state reads the snapshot fields: a staging Observation ages out like a Condition ------------


def _findings(request: dict[str, Any]) -> tuple[list[Finding], ClinicalState]:
    snapshot = build_snapshot(PATIENT, request["prefetch"], TODAY)
    state = build_state(snapshot, KNOWLEDGE)
    return advanced_phase_findings(state, KNOWLEDGE), state


def _w1(staging: dict[str, Any]) -> dict[str, Any]:
    """Course W1 (bench/whole_patient_courses.py) with the AP recorded by a staging Observation, not a Condition."""
    s = _ago(50)
    return hook_request(
        transcripts=[bcr_abl1(days_after(s, m), v) for m, v in ((3, 4.0), (6, 0.6), (12, 0.05))]
        + [bcr_abl1(days_after(s, m), 0.0032, comparator="<") for m in (24, 36, 47)],
        medications=[tki_statement("imatinib", s, dose_mg=600)],
        conditions=[condition("92818009", "Chronic myeloid leukaemia", onset=days_after(s, -0.3))],
        staging=[staging],
    )


def test_an_ap_staging_four_years_ago_with_mr4_now_is_history_not_a_card() -> None:
    staged = stage_group(days_after(_ago(50), -0.3), snomed=ACCELERATED, ident="st-w1")
    findings, state = _findings(_w1(staged))
    assert findings == []
    assert state.phase.current is None and state.phase.ever_advanced
    evidence = state.phase.at_diagnosis_evidence
    assert evidence is not None
    assert (state.phase.at_diagnosis, evidence.reference) == (
        DiseasePhase.ACCELERATED,
        "Observation/st-w1",
    )
    assert "window.recorded-phase" in {row.id for row in state.phase.past_rows}


def test_a_recent_ap_staging_then_a_result_at_or_below_one_percent_is_managed_as_chronic_phase() -> None:
    start = _ago(14)
    request = hook_request(
        transcripts=[bcr_abl1(days_after(start, 3), 12.0), bcr_abl1(_ago(1), 0.8)],
        medications=[tki_statement("dasatinib", start, dose_mg=140)],
        staging=[stage_group(_ago(5), snomed=ACCELERATED, ident="st-ap-ended")],
    )
    findings, state = _findings(request)
    assert findings == [] and state.phase.current is None
    assert "course.recorded-phase-response" in {row.id for row in state.phase.past_rows}


def test_a_recent_ap_staging_is_the_ap_card_naming_the_observation() -> None:
    start = _ago(14)
    request = hook_request(
        transcripts=[bcr_abl1(days_after(start, 3), 12.0), bcr_abl1(_ago(1), 9.0)],
        medications=[tki_statement("dasatinib", start, dose_mg=140)],
        staging=[stage_group(_ago(2), snomed=ACCELERATED, ident="st-ap-now")],
    )
    [finding], state = _findings(request)
    assert finding.extra["phase"] == "accelerated" and state.phase.name == "accelerated"
    assert "phase.recorded.accelerated" in {rule.id for rule in finding.rules}
    assert any(e.reference == "Observation/st-ap-now" and e.date == _ago(2).isoformat() for e in finding.evidence)


def test_a_recent_blast_phase_staging_is_not_ended_by_a_response() -> None:
    start = _ago(14)
    request = hook_request(
        transcripts=[bcr_abl1(days_after(start, 3), 12.0), bcr_abl1(_ago(1), 0.5)],
        medications=[tki_statement("dasatinib", start, dose_mg=140)],
        staging=[stage_group(_ago(3), text="Blast phase", ident="st-bp-now")],
    )
    [finding], _ = _findings(request)
    assert finding.extra["phase"] == "blast"
    assert any(e.reference == "Observation/st-bp-now" for e in finding.evidence)
