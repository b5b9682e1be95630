from __future__ import annotations

import pytest

from fhir_mapping.protein_change import find_protein_changes, one_letter


@pytest.mark.parametrize(
    "text",
    ["NP_005148.2:p.(Thr315Ile)", "NP_005148.2:p.Thr315Ile", "p.Thr315Ile", "p.(T315I)", "p.T315I", "T315I"],
)
def test_every_spelling_of_t315i_is_one_letter(text: str) -> None:
    assert one_letter(text) == "T315I"


def test_free_text_lists_are_read_in_order() -> None:
    assert find_protein_changes("E255K, F359V") == ["E255K", "F359V"]
    assert find_protein_changes("T315I detected") == ["T315I"]


@pytest.mark.parametrize("text", ["NM_005157.6:c.944C>T", "BCR-ABL1 e14a2", "no mutation detected", "p.Glu255del"])
def test_non_substitutions_are_not_invented(text: str) -> None:
    assert find_protein_changes(text) == []
