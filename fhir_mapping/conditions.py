"""Conditions → comorbidity keys (`comorbidities.toml`) and the CML diagnosis with its phase.

Only conditions whose clinical status is active (or recurrence/relapse) count, except keys marked
`history` in the table (a past MI or stroke is still a ponatinib risk factor, a resolved dasatinib
effusion still matters): those count whatever the clinical status, also when none is recorded, and a
resolved one is named "(resolved)" on the card. Refuted and entered-in-error conditions never count;
entered-in-error ones are reported.

CML: SNOMED 92818009, ICD-10(-CM) C92.1x, ICD-O-3 9875/3, or the words. Phase from `stage.summary`
(SNOMED 278177007 chronic, 278179005 accelerated; "blast phase/crisis" text, no verified code) or from
the condition's own text, by the rule of recorded_phase.py (which a staging Observation's value also
follows, staging.py). Each CML condition's recorded phase is returned; snapshot.py merges them with the
staging Observations' before the latest and the earliest are chosen (`recorded_phase.choose_phases`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tki_resistance.model import COMORBIDITY_KEYS, Comorbidity, DiseasePhase

from .context import transcript_names
from .dates import parse_day
from .exclusions import ExclusionLog
from .recorded_phase import RecordedPhase, phase_of
from .resources import CodeableConcept, Condition
from .terminology import ICD10, SNOMED

__all__ = ["ConditionFacts", "map_conditions"]

CML_SNOMED = frozenset({"92818009"})
CML_ICD10_PREFIX = "C92.1"
CML_ICDO = "9875/3"
_CML_ICD10 = CML_ICD10_PREFIX.replace(".", "")  # as _icd10 writes codes
_CML_WORDS = ("chronic myeloid leuk", "chronic myelogenous leuk", "chronic granulocytic leuk", "cml")
#: Extramedullary blast disease (ELN blast phase): no verified code, so the condition's words [M].
_EXTRAMEDULLARY_WORDS = ("myeloid sarcoma", "granulocytic sarcoma", "chloroma", "extramedullary blast")
_EXTRAMEDULLARY = re.compile("|".join(map(re.escape, _EXTRAMEDULLARY_WORDS)))
_ACTIVE = frozenset({"active", "recurrence", "relapse"})
_PAST = frozenset({"inactive", "remission", "resolved"})
_HISTORY = _ACTIVE | _PAST | {None}
_ACTIVE_OR_UNRECORDED = _ACTIVE | {None}
_NOT_TRUE = frozenset({"refuted", "entered-in-error"})


@dataclass(frozen=True)
class _Row:
    key: str
    snomed: frozenset[str]
    icd10: tuple[str, ...]
    words: tuple[str, ...]
    history: bool
    verified: bool  # False for rows whose source is tagged [M] (codes from memory)


def _load_table() -> tuple[_Row, ...]:
    with Path(__file__).with_name("comorbidities.toml").open("rb") as handle:
        rows = tomllib.load(handle)["comorbidity"]
    table = tuple(
        _Row(
            key=row["key"],
            snomed=frozenset(row.get("snomed", [])),
            icd10=tuple(code.replace(".", "").upper() for code in row.get("icd10", [])),
            words=tuple(row.get("words", [])),
            history=bool(row.get("history", False)),
            verified=not str(row.get("source", "[M]")).startswith("[M]"),
        )
        for row in rows
    )
    unknown = {row.key for row in table} - COMORBIDITY_KEYS
    if unknown:
        raise ValueError(f"comorbidities.toml uses keys outside COMORBIDITY_KEYS: {sorted(unknown)}")
    return table


TABLE = _load_table()


@dataclass(frozen=True)
class ConditionFacts:
    comorbidities: tuple[Comorbidity, ...]
    cml_sources: tuple[str, ...]
    #: each CML condition's recorded phase: ordered by recorded date (else onset), dated by onset (else
    #: recorded date)
    phases: tuple[RecordedPhase, ...] = ()
    transcripts: tuple[str, ...] = ()  # transcript names the conditions' text mentions (e1a2, e13a2, …)
    transcript_sources: tuple[str, ...] = ()
    extramedullary_source: str | None = None


def _status(concept: CodeableConcept | None) -> str | None:
    if concept is not None:
        for coding in concept.coding:
            if coding.code:
                return coding.code
    return None


def _icd10(concept: CodeableConcept) -> list[str]:
    return [c.code.replace(".", "").upper() for c in concept.coding if c.system in ICD10 and c.code]


def _index(table: tuple[_Row, ...]) -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
    """SNOMED code → rows and ICD-10 prefix → rows (row positions), built once: a condition is then looked up,
    not compared with every row (a 24-row scan cost ~30 µs per condition)."""
    snomed: dict[str, list[int]] = {}
    icd10: dict[str, list[int]] = {}
    for position, row in enumerate(table):
        for code in row.snomed:
            snomed.setdefault(code, []).append(position)
        for prefix in row.icd10:
            icd10.setdefault(prefix, []).append(position)
    return {k: tuple(v) for k, v in snomed.items()}, {k: tuple(v) for k, v in icd10.items()}


_BY_SNOMED, _BY_ICD10_PREFIX = _index(TABLE)
_ICD10_PREFIX_LENGTHS = tuple(sorted({len(prefix) for prefix in _BY_ICD10_PREFIX}))
_BY_WORD = tuple((word, position) for position, row in enumerate(TABLE) for word in row.words)
#: Any of the rows' words: one search rules out nearly every condition before the word-by-word look.
_ANY_WORD = re.compile("|".join(re.escape(word) for word, _ in _BY_WORD)) if _BY_WORD else None


def _keys(snomed: list[str], icd10: list[str], words: str) -> list[_Row]:
    """The table rows a concept matches (by SNOMED code, ICD-10 prefix or words), in table order."""
    hits: set[int] = set()
    for code in snomed:
        hits.update(_BY_SNOMED.get(code, ()))
    for code in icd10:
        for length in _ICD10_PREFIX_LENGTHS:
            if length <= len(code):
                hits.update(_BY_ICD10_PREFIX.get(code[:length], ()))
    if _ANY_WORD is not None and _ANY_WORD.search(words):
        hits.update(position for word, position in _BY_WORD if word in words)
    return [TABLE[position] for position in sorted(hits)]


def _is_cml(concept: CodeableConcept, snomed: list[str], icd10: list[str], words: str) -> bool:
    if not CML_SNOMED.isdisjoint(snomed):
        return True
    if any(code.startswith(_CML_ICD10) for code in icd10):
        return True
    if any(c.code == CML_ICDO for c in concept.coding):
        return True
    return any(word in words for word in _CML_WORDS) and "atypical" not in words


def _phase(condition: Condition) -> DiseasePhase:
    concepts = [s.summary for s in condition.stage if s.summary is not None]
    return phase_of(concepts, [condition.code] if condition.code is not None else [])


def _onset(condition: Condition) -> date | None:
    period = condition.onsetPeriod
    return parse_day(condition.onsetDateTime or (period.start if period else None))


def map_conditions(conditions: list[Condition], log: ExclusionLog) -> ConditionFacts:
    comorbidities: list[Comorbidity] = []
    phases: list[RecordedPhase] = []
    cml: list[str] = []
    transcripts: set[str] = set()
    transcript_sources: list[str] = []
    extramedullary: list[str] = []
    for condition in conditions:
        if condition.code is None:
            continue
        verification = _status(condition.verificationStatus)
        clinical = _status(condition.clinicalStatus)
        if verification in _NOT_TRUE:
            if verification == "entered-in-error":
                log.exclude(condition, "verification status 'entered-in-error'")
            continue
        source = f"Condition/{condition.id}"
        # the concept's codes and words once per condition: every check below reads them
        snomed, icd10, words = condition.code.codes(SNOMED), _icd10(condition.code), condition.code.words()
        names = transcript_names(" ".join([words, *(n.text or "" for n in condition.note)]))
        if names:
            transcripts |= names
            transcript_sources.append(source)
        if _is_cml(condition.code, snomed, icd10, words):
            cml.append(source)
            phase = _phase(condition)
            if phase is not DiseasePhase.UNKNOWN:
                onset, recorded = _onset(condition), parse_day(condition.recordedDate)
                phases.append(RecordedPhase(recorded or onset or date.min, phase, source, onset or recorded))
            continue
        if clinical in _ACTIVE_OR_UNRECORDED and _EXTRAMEDULLARY.search(words):
            extramedullary.append(source)
        rows = _keys(snomed, icd10, words)
        display = (
            condition.code.text or next((c.display for c in condition.code.coding if c.display), "") if rows else ""
        )
        for row in rows:
            if clinical in _ACTIVE or (row.history and clinical in _HISTORY):
                shown = (display or row.key) + (f" ({clinical})" if clinical in _PAST else "")
                comorbidities.append(Comorbidity(source, row.key, shown, _onset(condition), code_verified=row.verified))
    return ConditionFacts(
        comorbidities=tuple(comorbidities),
        cml_sources=tuple(cml),
        phases=tuple(phases),
        transcripts=tuple(sorted(transcripts)),
        transcript_sources=tuple(transcript_sources),
        extramedullary_source=extramedullary[-1] if extramedullary else None,
    )
