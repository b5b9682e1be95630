"""Which co-medications belong to which interacting drug class (by RxNorm code or by name)."""

from __future__ import annotations

import re
from functools import cache

from .knowledge_schema import DrugClassRow, InteractionRow
from .model import Comedication

__all__ = ["classes_of", "interaction_rows"]

_WORD = re.compile(r"[a-z0-9']+")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower().replace("’", "'")))


@cache
def _member_words(drug: str) -> frozenset[str]:
    """The words of a drug-class member name: a fixed set from the knowledge tables, split once per process."""
    return frozenset(_words(drug))


def _code_matches(codes: tuple[str, ...], rxnorm: list[str]) -> bool:
    """A code `system|code` or a bare code matches when the code is one of the class's RxCUIs."""
    for code in codes:
        system, _, value = code.rpartition("|")
        if value in rxnorm and (not system or "rxnorm" in system.lower()):
            return True
    return False


def classes_of(medication: Comedication, rows: tuple[DrugClassRow, ...]) -> list[DrugClassRow]:
    """Every class the co-medication belongs to: by RxNorm ingredient code, or every word of a member name."""
    words = _words(medication.name)
    return [
        row
        for row in rows
        if _code_matches(medication.codes, row.rxnorm) or any(_member_words(drug) <= words for drug in row.drugs)
    ]


def interaction_rows(
    medication: Comedication, tki: str, interactions: tuple[InteractionRow, ...], classes: tuple[DrugClassRow, ...]
) -> list[tuple[InteractionRow, DrugClassRow]]:
    """Every interaction row between `tki` and a class the medication belongs to, with that class row."""
    return [
        (row, drug_class)
        for drug_class in classes_of(medication, classes)
        for row in interactions
        if row.tki == tki and row.drug_class == drug_class.drug_class
    ]
