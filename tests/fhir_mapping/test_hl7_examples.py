"""Every Observation, MedicationStatement, MedicationRequest and Condition example of three HL7 packages
goes through the mapping without an exception; the BCR/ABL1 examples are recognised."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest

from fhir_mapping import build_snapshot
from tests.hl7_packages import examples, subject_id

AS_OF = date(2026, 11, 22)


@pytest.fixture(scope="module")
def resources() -> list[tuple[str, dict[str, Any]]]:
    return examples()


def test_packages_hold_the_expected_kinds(resources: list[tuple[str, dict[str, Any]]]) -> None:
    kinds = Counter(r["resourceType"] for _, r in resources)
    assert kinds["Observation"] > 200 and kinds["Condition"] > 10 and kinds["MedicationRequest"] > 5
    assert kinds["MedicationStatement"] > 0


def test_every_example_maps_without_an_exception(resources: list[tuple[str, dict[str, Any]]]) -> None:
    failures: list[str] = []
    for label, resource in resources:
        patient = subject_id(resource) or "no-subject"
        try:
            build_snapshot(patient, {"x": resource}, AS_OF)
        except Exception as exc:
            failures.append(f"{label}: {type(exc).__name__}: {exc}")
    assert failures == []


def test_mcode_bcr_abl1_fusion_variant_is_recognised(resources: list[tuple[str, dict[str, Any]]]) -> None:
    [fusion] = [r for label, r in resources if label.startswith("hl7.fhir.us.mcode:Observation-genomic-variant-fusion")]
    snapshot = build_snapshot(str(subject_id(fusion)), {"x": fusion}, AS_OF)
    assert snapshot.bcr_abl1_fusion_sources == ("Observation/genomic-variant-fusion",)
    assert snapshot.kinase_domain_tests == () and snapshot.exclusions == ()


def test_genomics_reporting_cml_karyotype_is_recognised(resources: list[tuple[str, dict[str, Any]]]) -> None:
    [iscn] = [r for _, r in resources if r.get("id") == "ISCN-CMLExample"][:1]
    snapshot = build_snapshot(str(subject_id(iscn)), {"x": iscn}, AS_OF)
    assert snapshot.bcr_abl1_fusion_sources == ("Observation/ISCN-CMLExample",)
    assert snapshot.chromosomal_abnormalities == () and snapshot.exclusions == ()


def test_non_abl1_variants_are_reported_not_used(resources: list[tuple[str, dict[str, Any]]]) -> None:
    [egfr] = [r for _, r in resources if r.get("id") == "EGFR-L858R-var"][:1]
    snapshot = build_snapshot(str(subject_id(egfr)), {"x": egfr}, AS_OF)
    assert snapshot.kinase_domain_tests == ()
    assert "not a BCR::ABL1 kinase-domain variant" in snapshot.exclusions[0].reason
