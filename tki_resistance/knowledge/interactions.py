"""Which co-medications belong to which interacting drug class (by RxNorm code or by name)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..model import Comedication
from .schema import DrugClassRow, InteractionRow

__all__ = ["InteractionIndex", "exposure_interactions", "interaction_rows"]

_WORD = re.compile(r"[a-z0-9']+")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower().replace("’", "'")))


def _member_words(drug: str) -> frozenset[str]:
    """The words of a drug-class member name, split once, when the index is built."""
    return frozenset(_words(drug))


class InteractionIndex:
    """The drug-class and interaction tables indexed once per knowledge load (`Knowledge.interaction_index`).

    Why: a co-medication was compared with every member name of every class (~95 names) and every
    interaction row, ~30 µs per medication per call; a patient on thirty medicines paid ~1 ms. Now a
    medication's words and codes look up the few members that could match, and (TKI, class) looks up
    its rows. The answers, and their order (table order), are those of the scan.
    """

    def __init__(self, classes: tuple[DrugClassRow, ...], interactions: tuple[InteractionRow, ...]) -> None:
        self.classes = classes
        self._by_rxcui: dict[str, list[int]] = {}
        #: a member name's words, under its longest word ("" for a name without words: it matches any medication)
        self._members_by_word: dict[str, list[tuple[int, frozenset[str]]]] = {}
        for position, row in enumerate(classes):
            for code in row.rxnorm:
                self._by_rxcui.setdefault(code, []).append(position)
            for drug in row.drugs:
                words = _member_words(drug)
                key = min(words, key=lambda word: (-len(word), word)) if words else ""
                self._members_by_word.setdefault(key, []).append((position, words))
        self._rows: dict[tuple[str, str], list[InteractionRow]] = {}
        for interaction in interactions:
            self._rows.setdefault((interaction.tki, interaction.drug_class), []).append(interaction)

    def classes_of(self, medication: Comedication) -> list[DrugClassRow]:
        """Every class the co-medication belongs to: by RxNorm ingredient code, or every word of a member name."""
        hits: set[int] = set()
        for code in medication.codes:
            system, _, value = code.rpartition("|")
            if not system or "rxnorm" in system.lower():
                hits.update(self._by_rxcui.get(value, ()))
        words = _words(medication.name)
        for word in [*words, ""]:
            for position, member in self._members_by_word.get(word, ()):
                if member <= words:
                    hits.add(position)
        return [self.classes[position] for position in sorted(hits)]

    def rows(self, tki: str, drug_class: str) -> list[InteractionRow]:
        """The interaction rows of one TKI with one class, in table order."""
        return self._rows.get((tki, drug_class), [])


def interaction_rows(
    medication: Comedication, tki: str, index: InteractionIndex
) -> list[tuple[InteractionRow, DrugClassRow]]:
    """Every interaction row between `tki` and a class the medication belongs to, with that class row."""
    return [
        (row, drug_class)
        for drug_class in index.classes_of(medication)
        for row in index.rows(tki, drug_class.drug_class)
    ]


def exposure_interactions(
    comedications: Sequence[Comedication], drug: str, index: InteractionIndex, exposure: str
) -> list[tuple[Comedication, InteractionRow, DrugClassRow]]:
    """The co-medications that interact with `drug` by rows that lower its exposure (`exposure` "lowers": the
    causes of a poor response to rule out), or by the others ("safety": raised exposure, an added risk)."""
    return [
        (medication, row, drug_class)
        for medication in comedications
        for row, drug_class in interaction_rows(medication, drug, index)
        if (row.exposure == "lowers") == (exposure == "lowers")
    ]
