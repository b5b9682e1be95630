"""Observations sorted once by kind (observation_kinds.py): an Observation of several kinds is in each list,
and each mapper's list-taking function (for any other caller) gives what the sorted lists give."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from fhir_mapping.context import context_from, observation_context
from fhir_mapping.exclusions import ExclusionLog
from fhir_mapping.kinase_domain import map_kinase_domain
from fhir_mapping.lax import read_resource
from fhir_mapping.molecular import map_transcript_results, map_transcripts
from fhir_mapping.observation_kinds import sort_observations
from fhir_mapping.organ import organ_context, organ_from
from fhir_mapping.pregnancy import map_pregnancy, pregnancy_from
from fhir_mapping.resources import Observation
from fhir_mapping.staging import map_staging
from tests.fhir_mapping.mapping_cases import hostile_cases

_LOINC = "http://loinc.org"


def _observation(ident: str, codings: list[tuple[str, str]], text: str | None = None) -> Observation:
    code: dict[str, Any] = {"coding": [{"system": s, "code": c} for s, c in codings]}
    if text is not None:
        code["text"] = text
    return read_resource({"resourceType": "Observation", "id": ident, "status": "final", "code": code}, Observation)


def test_an_observation_of_several_kinds_is_in_each_list_in_record_order() -> None:
    named_blasts = _observation("a", [(_LOINC, "69380-4")], "Blasts in bone marrow")
    potassium_then_magnesium = _observation("b", [(_LOINC, "2823-3"), (_LOINC, "19123-9")])
    non_is_then_is = _observation("c", [(_LOINC, "46434-7"), (_LOINC, "69380-4")])
    child_pugh_in_loinc = _observation("d", [(_LOINC, "1234-5")], "Child-Pugh class")
    child_pugh_uncoded = _observation("e", [], "Child-Pugh class")
    kinds = sort_observations(
        [named_blasts, potassium_then_magnesium, non_is_then_is, child_pugh_in_loinc, child_pugh_uncoded]
    )
    assert kinds.bcr_abl1 == [(named_blasts, True), (non_is_then_is, True)]
    assert kinds.counts == [(named_blasts, "blasts")]
    assert kinds.not_counts == [potassium_then_magnesium, non_is_then_is, child_pugh_in_loinc, child_pugh_uncoded]
    assert kinds.organ == [(potassium_then_magnesium, "potassium"), (child_pugh_uncoded, "child-pugh")]
    assert kinds.kinase_domain == [] and kinds.pregnancy == [] and kinds.staging == []


def _observations(prefetch: dict[str, Any]) -> list[Observation]:
    found = []
    for value in prefetch.values():
        for entry in value.get("entry", []) if value.get("resourceType") == "Bundle" else []:
            try:
                found.append(read_resource(entry["resource"], Observation))
            except ValidationError:
                continue
    return found


@pytest.mark.parametrize("case", hostile_cases()[:20], ids=lambda case: str(case[0]))
def test_the_list_taking_mappers_give_what_the_sorted_lists_give(case: tuple[str, dict[str, Any]]) -> None:
    observations = _observations(case[1])
    kinds = sort_observations(observations)
    today = date(2026, 11, 22)
    pairs: list[tuple[Callable[[ExclusionLog], object], Callable[[ExclusionLog], object]]] = [
        (lambda log: map_transcripts(observations, log), lambda log: map_transcript_results(kinds.bcr_abl1, log)),
        (lambda log: map_kinase_domain(observations, log), lambda log: map_kinase_domain(kinds.kinase_domain, log)),
        (
            lambda log: observation_context(observations, log),
            lambda log: context_from(kinds.counts, kinds.not_counts, log),
        ),
        (lambda log: organ_context(observations, log), lambda log: organ_from(kinds.organ, log)),
        (
            lambda _: map_pregnancy(observations, [], [], today),
            lambda _: pregnancy_from(kinds.pregnancy, [], [], today),
        ),
        (lambda log: map_staging(observations, log), lambda log: map_staging(kinds.staging, log)),
    ]
    for whole, part in pairs:
        whole_log, part_log = ExclusionLog(), ExclusionLog()
        assert whole(whole_log) == part(part_log)
        assert whole_log.items == part_log.items
