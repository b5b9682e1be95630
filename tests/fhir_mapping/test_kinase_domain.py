"""Kinase-domain mutation results in every shape laboratories and the Genomics Reporting IG use."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from fhir_mapping import build_snapshot
from tests.builders import PATIENT, bundle, haplotype, kd_variant, lab_observation
from tki_resistance.model import PatientSnapshot

DAY = date(2026, 5, 4)


def snapshot(*resources: dict[str, Any]) -> PatientSnapshot:
    return build_snapshot(PATIENT, {"kinaseDomainVariants": bundle(*resources)}, date(2026, 11, 22))


def _stu2_variant(protein: str, gene: dict[str, Any] | None = None) -> dict[str, Any]:
    """STU2 shape: gene and protein HGVS with codes in the HGVS system, plus amino-acid change type."""
    gene_value = gene or {"coding": [{"system": "http://www.genenames.org", "code": "HGNC:76", "display": "ABL1"}]}
    return {
        "resourceType": "Observation",
        "id": "stu2",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "69548-6"}]},
        "subject": {"reference": f"Patient/{PATIENT}"},
        "issued": "2026-05-04T12:00:00Z",
        "valueCodeableConcept": {"coding": [{"system": "http://loinc.org", "code": "LA9633-4"}]},
        "component": [
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "48018-6"}]},
                "valueCodeableConcept": gene_value,
            },
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "48005-3"}]},
                "valueCodeableConcept": {"text": protein},
            },
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "48006-1"}]},
                "valueCodeableConcept": {"coding": [{"system": "http://loinc.org", "code": "LA6698-0"}]},
            },
        ],
    }


@pytest.mark.parametrize("protein", ["Thr315Ile", "T315I"])
def test_stu3_variant_with_vaf(protein: str) -> None:
    [test] = snapshot(kd_variant(DAY, protein, vaf=0.42)).kinase_domain_tests
    [variant] = test.variants
    assert (variant.name, variant.components, variant.allele_fraction) == ("T315I", ("T315I",), 0.42)
    assert test.taken == DAY


def test_stu2_variant_with_three_letter_protein_and_issued_date() -> None:
    [test] = snapshot(_stu2_variant("p.(Glu255Lys)")).kinase_domain_tests
    assert [v.name for v in test.variants] == ["E255K"] and test.taken == DAY


def test_negative_genomics_result_is_a_test_without_variants() -> None:
    result = snapshot(kd_variant(DAY, None))
    [test] = result.kinase_domain_tests
    assert test.variants == () and result.exclusions == ()


@pytest.mark.parametrize("code", ["55135-8", "69548-6"])
@pytest.mark.parametrize(
    ("value", "expected"),
    [("T315I detected", ["T315I"]), ("E255K, F359V", ["E255K", "F359V"]), ("No mutation detected", [])],
)
def test_simple_lab_shapes(code: str, value: str, expected: list[str]) -> None:
    resource = lab_observation(code, DAY, text="BCR-ABL1 kinase domain mutation analysis", value=value)
    [test] = snapshot(resource).kinase_domain_tests
    assert [v.name for v in test.variants] == expected


def test_value_codeable_concept_text_and_absent_code() -> None:
    positive = lab_observation("55135-8", DAY, valueCodeableConcept={"text": "p.Tyr253His"})
    negative = lab_observation(
        "55135-8",
        date(2026, 8, 1),
        valueCodeableConcept={"coding": [{"system": "http://loinc.org", "code": "LA9634-2"}]},
    )
    tests = snapshot(positive, negative).kinase_domain_tests
    assert [[v.name for v in t.variants] for t in tests] == [["Y253H"], []]


def test_compound_mutation_from_a_haplotype_keeps_member_order() -> None:
    first, second = kd_variant(DAY, "Thr315Ile", ident="m1"), kd_variant(DAY, "Glu255Val", ident="m2")
    result = snapshot(first, second, haplotype(DAY, first, second))
    [test] = result.kinase_domain_tests
    [variant] = test.variants
    assert variant.name == "T315I/E255V" and variant.components == ("T315I", "E255V") and variant.is_compound


def test_haplotype_with_a_missing_member_is_reported() -> None:
    member = kd_variant(DAY, "Thr315Ile", ident="m1")
    ghost = {"id": "not-here"}
    result = snapshot(member, haplotype(DAY, member, ghost))
    assert [v.name for t in result.kinase_domain_tests for v in t.variants] == ["T315I"]
    assert "member" in result.exclusions[0].reason


def test_variant_in_another_gene_is_not_a_kinase_domain_variant_and_is_reported() -> None:
    gene = {"coding": [{"system": "http://www.genenames.org", "code": "HGNC:3236", "display": "EGFR"}]}
    result = snapshot(_stu2_variant("p.Leu858Arg", gene))
    assert result.kinase_domain_tests == ()
    assert "EGFR" in result.exclusions[0].reason and "not a BCR::ABL1" in result.exclusions[0].reason


def test_bcr_abl1_fusion_variant_is_recognised_not_counted_as_a_mutation_test() -> None:
    fusion = kd_variant(DAY, None, ident="fusion")
    fusion["valueCodeableConcept"]["coding"][0] |= {"code": "LA9633-4", "display": "Present"}
    fusion["component"].append(
        {
            "code": {"coding": [{"system": "http://loinc.org", "code": "48018-6"}]},
            "valueCodeableConcept": {"coding": [{"system": "http://www.genenames.org", "code": "HGNC:1014"}]},
        }
    )
    result = snapshot(fusion)
    assert result.kinase_domain_tests == () and result.bcr_abl1_fusion_sources == ("Observation/fusion",)


def test_dna_change_only_is_reported_not_translated() -> None:
    variant = kd_variant(DAY, None)
    variant["valueCodeableConcept"]["coding"][0] |= {"code": "LA9633-4", "display": "Present"}
    variant["component"].append(
        {
            "code": {"coding": [{"system": "http://loinc.org", "code": "48004-6"}]},
            "valueCodeableConcept": {
                "coding": [{"system": "http://varnomen.hgvs.org", "code": "NM_005157.6:c.944C>T"}]
            },
        }
    )
    result = snapshot(variant)
    assert result.kinase_domain_tests == () and "c.944C>T" in result.exclusions[0].reason


def test_one_test_per_day_and_entered_in_error_is_excluded() -> None:
    wrong = kd_variant(DAY, "Thr315Ile")
    wrong["status"] = "entered-in-error"
    result = snapshot(wrong, kd_variant(DAY, "Phe359Val"), kd_variant(DAY, "Glu255Lys"))
    [test] = result.kinase_domain_tests
    assert [v.name for v in test.variants] == ["F359V", "E255K"]
    assert "entered-in-error" in result.exclusions[0].reason


def test_iscn_variant_gives_karyotype_and_fusion_not_a_mutation_test() -> None:
    iscn = lab_observation(
        "69548-6",
        DAY,
        ident="iscn",
        valueCodeableConcept={"coding": [{"system": "http://loinc.org", "code": "LA9633-4"}]},
        component=[
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "81291-7"}]},
                "valueCodeableConcept": {"coding": [{"code": "47,XY,+8,t(9;22)(q34;q11.2)[20]"}]},
            }
        ],
    )
    result = snapshot(iscn)
    assert result.kinase_domain_tests == () and result.exclusions == ()
    assert result.chromosomal_abnormalities == ("+8",) and result.bcr_abl1_fusion_sources == ("Observation/iscn",)
