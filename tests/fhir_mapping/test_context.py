"""Blasts, karyotype, transplant history, birth date and the safety checks of snapshot.py."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from fhir_mapping import build_snapshot
from fhir_mapping.karyotype import abnormalities
from tests.builders import PATIENT, bcr_abl1, bundle, lab_observation, patient, procedure
from tki_resistance.model import PatientSnapshot

DAY = date(2026, 2, 1)


def snapshot(*resources: dict[str, Any]) -> PatientSnapshot:
    return build_snapshot(PATIENT, {"all": bundle(*resources)}, date(2026, 11, 22))


def test_latest_blast_percentage_is_used_with_its_date() -> None:
    """Marrow blasts by name (no verified LOINC code; 26464-8 is a leukocyte count, issue #9)."""
    older = lab_observation("26446-5", date(2025, 1, 1), value=25.0, unit="%")
    newer = lab_observation("x", DAY, text="Blasts/100 cells in Bone marrow", value=12.0, unit="%", ident="bm-blasts")
    result = snapshot(older, newer)
    assert result.blast_percent == 12.0 and result.blast_source == "Observation/bm-blasts"
    assert result.blast_date == DAY


def test_loinc_26464_8_is_a_leukocyte_count_not_blasts() -> None:
    result = snapshot(lab_observation("26464-8", DAY, value=12.0, unit="10*9/L"))
    assert result.blast_percent is None and result.exclusions == ()


def test_basophils_platelets_and_blasts_plus_promyelocytes_are_mapped_with_date_and_source() -> None:
    result = snapshot(
        lab_observation("706-2", DAY, value=21.0, unit="%", ident="baso"),
        lab_observation("777-3", DAY, value=85.0, unit="10*9/L", ident="plt"),
        lab_observation("x", DAY, text="Blasts+promyelocytes/100 cells in Blood", value=31.0, unit="%", ident="bp"),
    )
    assert result.basophils is not None and (result.basophils.value, result.basophils.source) == (
        21.0,
        "Observation/baso",
    )
    assert result.platelets is not None and result.platelets.value == 85.0 and result.platelets.taken == DAY
    assert result.blasts_promyelocytes is not None and result.blasts_promyelocytes.value == 31.0


def test_counts_in_the_wrong_unit_are_reported() -> None:
    result = snapshot(
        lab_observation("706-2", DAY, value=0.2, unit="10*9/L"),
        lab_observation("26515-7", DAY, value=85.0, unit="%"),
    )
    assert result.basophils is None and result.platelets is None
    assert sorted(e.reason for e in result.exclusions) == [
        "basophils count in '10*9/L', not %",
        "platelet count in '%', not 10^9/L",
    ]


def test_karyotype_keeps_its_observation_and_date() -> None:
    resource = lab_observation("x", DAY, text="Karyotype", value="47,XY,+8,t(9;22)(q34;q11.2)[20]", ident="k1")
    result = snapshot(resource)
    assert result.karyotype_source == "Observation/k1" and result.karyotype_date == DAY


def test_blast_count_not_in_percent_is_reported() -> None:
    result = snapshot(lab_observation("26446-5", DAY, value=1.2, unit="10*9/L"))
    assert result.blast_percent is None and "not %" in result.exclusions[0].reason


def test_irrelevant_observations_are_ignored_silently() -> None:
    result = snapshot(lab_observation("2345-7", DAY, value=5.4, unit="mmol/L"))
    assert result.exclusions == () and result.transcripts == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("46,XY,t(9;22)(q34;q11.2)[20]", ()),
        ("47,XY,+8,t(9;22)(q34;q11.2)[20]", ("+8",)),
        ("48,XY,+8,t(9;22)(q34;q11.2),+der(22)t(9;22)(q34;q11.2)[15]/46,XY[5]", ("+8", "+Ph")),
        ("46,XY,t(9;22)(q34;q11.2),i(17)(q10)", ("i(17q)",)),
        ("46,XY,inv(3)(q21q26.2),t(9;22)(q34;q11.2)", ("3q26.2",)),
        ("46,XY,t(9;22)(q34;q11.2),t(11;19)(q23;p13.1)", ("11q23",)),
        ("47,XY,+8,-7,+19,t(9;22)(q34;q11.2)", ("+8", "-7/7q-", "+19", "complex")),
        ("Trisomy 8 and isochromosome 17q in Ph+ metaphases", ("+8", "i(17q)")),
    ],
)
def test_karyotype_normalisation(text: str, expected: tuple[str, ...]) -> None:
    assert abnormalities(text) == expected


def test_karyotype_observation_by_its_name() -> None:
    resource = lab_observation("x", DAY, text="Bone marrow karyotype", value="47,XY,+19,t(9;22)(q34;q11.2)[18]")
    assert snapshot(resource).chromosomal_abnormalities == ("+19",)


@pytest.mark.parametrize(
    ("snomed", "text", "counts"),
    [
        ("58390007", "", True),
        ("174241000112100", "", True),
        ("234336002", "", True),
        ("234336002", "Autologous stem cell transplant", False),
        (None, "Allo-HSCT from matched unrelated donor", True),
        ("80146002", "Appendectomy", False),
    ],
)
def test_allogeneic_transplant(snomed: str | None, text: str, counts: bool) -> None:
    result = snapshot(procedure(snomed, DAY, text=text))
    assert result.allogeneic_transplant == (DAY if counts else None)


def test_transplant_without_date_is_reported() -> None:
    result = snapshot(procedure("58390007", None))
    assert result.allogeneic_transplant is None and "date" in result.exclusions[0].reason


def test_birth_date_from_the_patient_in_context() -> None:
    assert snapshot(patient()).birth_date == date(1960, 4, 2)


def test_another_patient_resource_is_reported_and_not_used() -> None:
    result = snapshot(patient("someone-else"))
    assert result.birth_date is None and "another patient" in result.exclusions[0].reason


def test_unexpected_type_is_reported() -> None:
    result = snapshot({"resourceType": "Encounter", "id": "e1", "subject": {"reference": f"Patient/{PATIENT}"}})
    assert "unexpected resource type 'Encounter'" in result.exclusions[0].reason


def test_duplicate_across_keys_is_used_once() -> None:
    """The same resource under two prefetch keys (overlapping searches, e.g. blasts by code and by name since
    issue #9) is read once and not reported; two different resources with one id still are."""
    resource = bcr_abl1(DAY, 0.5, ident="same")
    result = build_snapshot(PATIENT, {"a": bundle(resource), "b": bundle(resource)}, date(2026, 11, 22))
    assert len(result.transcripts) == 1 and result.exclusions == ()
    other = bcr_abl1(DAY, 0.7, ident="same")
    result = build_snapshot(PATIENT, {"a": bundle(resource), "b": bundle(other)}, date(2026, 11, 22))
    assert len(result.transcripts) == 1 and "duplicate" in result.exclusions[0].reason


def test_invalid_resource_is_reported_not_raised() -> None:
    broken = bcr_abl1(DAY, 0.5)
    broken["valueQuantity"]["value"] = "lots"
    result = snapshot(broken)
    assert result.transcripts == () and "not a valid FHIR R4 Observation" in result.exclusions[0].reason


def test_full_url_subject_is_the_patient() -> None:
    resource = bcr_abl1(DAY, 0.5, subject={"reference": f"https://ehr.example.org/fhir/Patient/{PATIENT}"})
    assert len(snapshot(resource).transcripts) == 1
