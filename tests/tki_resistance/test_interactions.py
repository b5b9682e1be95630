"""The drug-class index answers what comparing a medication with every class member and interaction row
answered (the scan it replaced), for names and codes drawn from the knowledge tables themselves."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tki_resistance.knowledge.interactions import _member_words, _words, interaction_rows
from tki_resistance.knowledge.loader import default_knowledge
from tki_resistance.knowledge.schema import DrugClassRow, InteractionRow
from tki_resistance.model import Comedication

KNOWLEDGE = default_knowledge()
_MEMBERS = sorted({drug for row in KNOWLEDGE.drug_classes for drug in row.drugs})
_RXCUIS = sorted({code for row in KNOWLEDGE.drug_classes for code in row.rxnorm})
_TKIS = sorted({row.tki for row in KNOWLEDGE.interactions})
_SYSTEMS = ["", "http://www.nlm.nih.gov/research/umls/rxnorm|", "http://snomed.info/sct|", "RxNorm|"]


def _scan(medication: Comedication, tki: str) -> list[tuple[InteractionRow, DrugClassRow]]:
    def code_matches(row: DrugClassRow) -> bool:
        for code in medication.codes:
            system, _, value = code.rpartition("|")
            if value in row.rxnorm and (not system or "rxnorm" in system.lower()):
                return True
        return False

    words = _words(medication.name)
    classes = [
        row
        for row in KNOWLEDGE.drug_classes
        if code_matches(row) or any(_member_words(drug) <= words for drug in row.drugs)
    ]
    return [
        (row, drug_class)
        for drug_class in classes
        for row in KNOWLEDGE.interactions
        if row.tki == tki and row.drug_class == drug_class.drug_class
    ]


@settings(max_examples=400, deadline=None)
@given(
    names=st.lists(st.sampled_from([*_MEMBERS, "paracetamol", "tablets", "20 mg", "Oral"]), max_size=3),
    codes=st.lists(
        st.builds(str.__add__, st.sampled_from(_SYSTEMS), st.sampled_from([*_RXCUIS, "161", "0"])), max_size=2
    ),
    tki=st.sampled_from(_TKIS),
    upper=st.booleans(),
)
def test_index_answers_what_the_scan_answered(names: list[str], codes: list[str], tki: str, upper: bool) -> None:
    name = " ".join(names)
    medication = Comedication(source="MedicationStatement/1", name=name.upper() if upper else name, codes=tuple(codes))
    assert interaction_rows(medication, tki, KNOWLEDGE.interaction_index) == _scan(medication, tki)


def test_every_member_and_code_finds_its_class() -> None:
    index = KNOWLEDGE.interaction_index
    for row in KNOWLEDGE.drug_classes:
        for drug in row.drugs:
            assert row in index.classes_of(Comedication(source="m", name=f"{drug} 20 mg tablet"))
        for code in row.rxnorm:
            assert row in index.classes_of(Comedication(source="m", name="x", codes=(code,)))
