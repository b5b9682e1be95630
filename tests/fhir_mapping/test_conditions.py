"""Conditions → comorbidity keys, the CML diagnosis and its phase."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_mapping import build_snapshot, conditions
from fhir_mapping.conditions import TABLE
from fhir_mapping.resources import CodeableConcept, Coding
from fhir_mapping.terminology import ICD10, SNOMED
from tests.builders import PATIENT, bundle, condition
from tki_resistance.model import COMORBIDITY_KEYS, DiseasePhase, PatientSnapshot


def snapshot(*resources: dict[str, Any]) -> PatientSnapshot:
    return build_snapshot(PATIENT, {"conditions": bundle(*resources)}, date(2026, 11, 22))


def test_every_comorbidity_key_has_codes() -> None:
    assert {row.key for row in TABLE} == COMORBIDITY_KEYS


@pytest.mark.parametrize(
    ("snomed", "icd10", "key"),
    [
        ("38341003", None, "hypertension"),
        (None, "I10", "hypertension"),
        (None, "I16.0", "uncontrolled-hypertension"),
        (None, "E11.9", "diabetes"),
        ("22298006", None, "coronary-artery-disease"),
        (None, "I45.81", "long-qt-syndrome"),  # #23: long QT syndrome is the nilotinib contraindication
        ("60046008", None, "pleural-effusion"),
        (None, "K85.90", "pancreatitis"),
        (None, "N18.3", "kidney-disease"),
    ],
)
def test_codes_map_to_keys(snomed: str | None, icd10: str | None, key: str) -> None:
    [comorbidity] = snapshot(condition(snomed, "x", icd10=icd10)).comorbidities
    assert comorbidity.key == key


def _with_status(
    resource: dict[str, Any], clinical: str | None = None, verification: str | None = None
) -> dict[str, Any]:
    if clinical:
        resource["clinicalStatus"]["coding"][0]["code"] = clinical
    if verification:
        resource["verificationStatus"]["coding"][0]["code"] = verification
    return resource


def test_resolved_hypertension_does_not_count_but_a_past_mi_does() -> None:
    result = snapshot(
        _with_status(condition("38341003", "Hypertension"), clinical="resolved"),
        _with_status(condition("22298006", "Myocardial infarction"), clinical="resolved"),
    )
    assert [c.key for c in result.comorbidities] == ["coronary-artery-disease"]


def test_a_resolved_dasatinib_effusion_and_pah_still_count_and_say_resolved() -> None:
    result = snapshot(
        _with_status(condition("60046008", "Pleural effusion"), clinical="resolved"),
        _with_status(condition("70995007", "Pulmonary hypertension"), clinical="inactive"),
    )
    assert [c.key for c in result.comorbidities] == ["pleural-effusion", "pulmonary-hypertension"]
    assert result.comorbidities[0].display == "Pleural effusion (resolved)"


def test_a_history_condition_without_clinical_status_counts_and_an_active_only_one_does_not() -> None:
    effusion = condition("60046008", "Pleural effusion")
    hypertension = condition("38341003", "Hypertension")
    for resource in (effusion, hypertension):
        del resource["clinicalStatus"]
    assert [c.key for c in snapshot(effusion, hypertension).comorbidities] == ["pleural-effusion"]


def test_refuted_does_not_count_and_entered_in_error_is_reported() -> None:
    result = snapshot(
        _with_status(condition("73211009", "Diabetes"), verification="refuted"),
        _with_status(condition("84114007", "Heart failure"), verification="entered-in-error"),
    )
    assert result.comorbidities == () and "entered-in-error" in result.exclusions[0].reason


def _cml(
    stage: str | None = None, *, text: str = "Chronic myeloid leukemia", recorded: str = "2025-01-01"
) -> dict[str, Any]:
    resource = condition("92818009", text)
    resource["recordedDate"] = recorded
    if stage:
        resource["stage"] = [{"summary": {"coding": [{"system": "http://snomed.info/sct", "code": stage}]}}]
    return resource


@pytest.mark.parametrize(
    ("resource", "phase"),
    [
        (_cml("278177007"), DiseasePhase.CHRONIC),
        (_cml("278179005"), DiseasePhase.ACCELERATED),
        (_cml(text="CML in blast crisis"), DiseasePhase.BLAST),
        (_cml(), DiseasePhase.UNKNOWN),
    ],
)
def test_cml_phase(resource: dict[str, Any], phase: DiseasePhase) -> None:
    result = snapshot(resource)
    assert result.phase is phase
    assert result.cml_diagnosis_sources == (f"Condition/{resource['id']}",)
    assert (result.phase_source is not None) is (phase is not DiseasePhase.UNKNOWN)


def test_icd10_c92_1_is_cml_and_the_latest_phase_wins() -> None:
    older = condition(None, "CML, chronic phase", icd10="C92.10")
    older["recordedDate"] = "2020-01-01"
    newer = _cml("278179005", recorded="2026-01-01")
    result = snapshot(older, newer)
    assert result.phase is DiseasePhase.ACCELERATED and len(result.cml_diagnosis_sources) == 2
    assert result.comorbidities == ()


def test_comorbidity_codes_from_memory_are_flagged_unverified() -> None:
    """Every row of comorbidities.toml is [M] today: the model must say so, for the card to say so."""
    from datetime import date as _date

    from fhir_mapping import build_snapshot
    from tests.builders import PATIENT, bundle, condition

    snapshot = build_snapshot(
        PATIENT, {"conditions": bundle(condition("38341003", "Hypertension"))}, _date(2026, 11, 22)
    )
    [comorbidity] = snapshot.comorbidities
    assert comorbidity.key == "hypertension" and comorbidity.code_verified is False


def test_myeloid_sarcoma_is_recorded_extramedullary_blast_disease_unless_resolved() -> None:
    active = snapshot(condition(None, "Myeloid sarcoma of the skin", ident="ms"))
    assert active.extramedullary_blasts_source == "Condition/ms"
    resolved = snapshot(_with_status(condition(None, "Myeloid sarcoma", ident="ms2"), clinical="resolved"))
    assert resolved.extramedullary_blasts_source is None
    assert snapshot(condition("38341003", "Hypertension")).extramedullary_blasts_source is None


def _scan(concept: CodeableConcept) -> list[conditions._Row]:
    """What `_keys` answered before its index: every row compared with the concept, in table order."""
    snomed = set(concept.codes(SNOMED))
    icd = [c.code.replace(".", "").upper() for c in concept.coding if c.system in ICD10 and c.code]
    words = concept.words()
    return [
        row
        for row in conditions.TABLE
        if row.snomed & snomed
        or any(code.startswith(prefix) for code in icd for prefix in row.icd10)
        or any(word in words for word in row.words)
    ]


_TABLE_SNOMED = sorted({code for row in conditions.TABLE for code in row.snomed})
_TABLE_ICD10 = sorted({prefix for row in conditions.TABLE for prefix in row.icd10})
_TABLE_WORDS = sorted({word for row in conditions.TABLE for word in row.words})


@settings(max_examples=300, deadline=None)
@given(
    snomed=st.lists(st.sampled_from([*_TABLE_SNOMED, "38341003", "1234567"]), max_size=3),
    icd10=st.lists(
        st.builds(
            lambda prefix, tail: prefix + tail,
            st.sampled_from([*_TABLE_ICD10, "I", "Z99", ""]),
            st.sampled_from(["", "0", ".9", "9.1", "x"]),
        ),
        max_size=3,
    ),
    text=st.lists(st.sampled_from([*_TABLE_WORDS, "nothing", "Heart"]), max_size=3).map(" and ".join),
)
def test_row_index_matches_the_table_scan(snomed: list[str], icd10: list[str], text: str) -> None:
    concept = CodeableConcept(
        text=text or None,
        coding=(
            *(Coding(system=SNOMED, code=code) for code in snomed),
            *(Coding(system=sorted(ICD10)[0], code=code) for code in icd10),
        ),
    )
    assert conditions._keys(concept.codes(SNOMED), conditions._icd10(concept), concept.words()) == _scan(concept)


def test_every_table_code_finds_its_row() -> None:
    for row in conditions.TABLE:
        for code in row.snomed:
            concept = CodeableConcept(coding=(Coding(system=SNOMED, code=code),))
            assert row in conditions._keys(concept.codes(SNOMED), conditions._icd10(concept), concept.words())
        for prefix in row.icd10:
            concept = CodeableConcept(coding=(Coding(system=sorted(ICD10)[0], code=prefix),))
            assert row in conditions._keys(concept.codes(SNOMED), conditions._icd10(concept), concept.words())
