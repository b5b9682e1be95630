"""The CML phase a record states, and which of several recorded phases is today's and which the diagnosis's.

One rule for every record that states a phase — a Condition's stage or its own words (conditions.py), a
stage-group Observation's value (staging.py): SNOMED 278177007 chronic phase, 278179005 accelerated phase
(the Danish KIP IG's CML phase codes, clinical-reference §10c and §14: verified as used, semantic tags not
verified), else the words ("blast phase/crisis" has no verified code).

The recorded phases of all records are merged before choosing: the latest recorded (a later record
supersedes an earlier one; same day: the more advanced phase) is the phase the chart records today, the
earliest dated one is the phase at diagnosis (an undated record only when none is dated).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from tki_resistance.model import DiseasePhase

from .resources import CodeableConcept
from .terminology import SNOMED

__all__ = ["PHASE_SNOMED", "PHASE_WORDS", "PhaseChoice", "RecordedPhase", "choose_phases", "phase_of"]

PHASE_SNOMED = {"278177007": DiseasePhase.CHRONIC, "278179005": DiseasePhase.ACCELERATED}
PHASE_WORDS: tuple[tuple[str, DiseasePhase], ...] = (
    ("blast phase", DiseasePhase.BLAST),
    ("blast crisis", DiseasePhase.BLAST),
    ("blastic phase", DiseasePhase.BLAST),
    ("blast transformation", DiseasePhase.BLAST),
    ("accelerated phase", DiseasePhase.ACCELERATED),
    ("chronic phase", DiseasePhase.CHRONIC),
)
_ORDER = list(DiseasePhase)


def phase_of(coded: Iterable[CodeableConcept], worded: Iterable[CodeableConcept] = ()) -> DiseasePhase:
    """The phase the concepts state: a listed SNOMED code in `coded` first, else the first phase words (blast
    before accelerated before chronic) in the text and displays of `coded` and `worded`; UNKNOWN if none."""
    coded = list(coded)
    for concept in coded:
        for code in concept.codes(SNOMED):
            if code in PHASE_SNOMED:
                return PHASE_SNOMED[code]
    words = " ".join(c.words() for c in [*coded, *worded])
    for word, phase in PHASE_WORDS:
        if word in words:
            return phase
    return DiseasePhase.UNKNOWN


class RecordedPhase(NamedTuple):
    """One record's phase: `order` places it among the records (date.min when undated), `day` is its date."""

    order: date
    phase: DiseasePhase
    source: str  # `Condition/id` or `Observation/id`
    day: date | None


@dataclass(frozen=True, slots=True)
class PhaseChoice:
    """The latest recorded phase (today's record) and the earliest (the phase at diagnosis)."""

    latest: RecordedPhase | None
    earliest: RecordedPhase | None


def choose_phases(records: Iterable[RecordedPhase]) -> PhaseChoice:
    """The latest by order date (same date: the more advanced phase, then the source), and the earliest by
    date (an undated record only when none is dated; same date: the more advanced phase, then the source)."""
    records = list(records)
    latest = max(records, key=lambda p: (p.order, _ORDER.index(p.phase), p.source), default=None)
    earliest = min(records, key=lambda p: (p.day or date.max, -_ORDER.index(p.phase), p.source), default=None)
    return PhaseChoice(latest, earliest)
