"""Pregnancy, breastfeeding and a planned pregnancy from the chart (issue #23 item 1).

Read only through the codes and phrases of `tki_resistance/knowledge/pregnancy_codes.toml` (shown in
docs/knowledge.md); an Observation or answer with another code is not read, never guessed:

* a pregnancy-status Observation (LOINC 82810-3) with a coded answer: pregnant (LA15173-0, SNOMED 77386006),
  not pregnant (LA26683-5, SNOMED 60001007); "unknown" (LA4489-6) concludes nothing;
* an estimated delivery date (LOINC 11778-8, 11779-6, 11780-4): a date ahead of the call (within 300 days)
  means pregnant; a date already passed means the pregnancy has ended;
* a breastfeeding-status Observation (LOINC 63895-7, SNOMED 413712001) with valueBoolean or a coded answer;
* an active Condition coding pregnancy (SNOMED 77386006 and the listed descendants, ICD-10-CM Z33.1, Z34) or
  breastfeeding (SNOMED 169750002), else the listed phrases in its text;
* a planned pregnancy: the listed phrases in an active Condition's or a pursued Goal's text.

For pregnancy and for breastfeeding the latest dated record decides (a newer "not pregnant" ends an older
pregnancy); the snapshot keeps at most one record per status. Whether a record is still current (its age) is
the clinical state's question (state/pregnancy.py), not the mapping's.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from tki_resistance.knowledge.schema import TABLES, PregnancyCodeRow
from tki_resistance.model import Pregnancy, PregnancyStatus

from .dates import parse_day
from .goals import Goal
from .resources import CodeableConcept, Condition, Observation
from .terminology import ICD10, LOINC, SNOMED

__all__ = ["map_pregnancy", "pregnancy_from", "pregnancy_question"]

_TABLE = Path(__file__).parents[1] / "tki_resistance" / "knowledge" / "pregnancy_codes.toml"
_SYSTEMS = {"loinc": LOINC, "snomed": SNOMED}
_USABLE = frozenset({"final", "amended", "corrected", "preliminary", None})
_ACTIVE = frozenset({"active", "recurrence", "relapse", None})
_NOT_TRUE = frozenset({"refuted", "entered-in-error"})
_PURSUED = frozenset({"proposed", "planned", "accepted", "active", "on-hold", "completed", None})
#: A delivery date further ahead than this is not a pregnancy's (a placeholder or a typo).
_MAX_AHEAD = timedelta(days=300)
_POSITIVE = {"pregnant": PregnancyStatus.PREGNANT, "breastfeeding": PregnancyStatus.BREASTFEEDING}
_AXIS = {"pregnant": "pregnant", "not-pregnant": "pregnant", "breastfeeding": "breastfeeding"}
_AXIS["not-breastfeeding"] = "breastfeeding"


def _load() -> tuple[PregnancyCodeRow, ...]:
    array = TABLES["pregnancy_codes"][0]
    with _TABLE.open("rb") as handle:
        return tuple(PregnancyCodeRow.model_validate(row) for row in tomllib.load(handle)[array])


ROWS = _load()
_QUESTIONS = {(_SYSTEMS[r.system], r.code): r for r in ROWS if r.element == "observation-code"}
_ANSWERS = {(_SYSTEMS[r.system], r.code): r for r in ROWS if r.element == "observation-answer"}
_CONDITION_SNOMED = {r.code: r for r in ROWS if r.element == "condition-code" and r.system == "snomed"}
_CONDITION_ICD10 = tuple(
    (r.code.replace(".", "").upper(), r) for r in ROWS if r.element == "condition-code" and r.system == "icd10"
)
_PHRASES = tuple(r for r in ROWS if r.element == "text")  # table order: planning, negations, breastfeeding, pregnancy


@dataclass(frozen=True, slots=True)
class _Said:
    """One record's statement: its meaning (pregnant, not-pregnant, breastfeeding, …), date and words."""

    meaning: str
    source: str
    recorded: date | None
    how: str
    due: date | None = None
    code_verified: bool = True


def _code_name(row: PregnancyCodeRow) -> str:
    return f"{row.display} ({row.system.upper() if row.system != 'snomed' else 'SNOMED'} {row.code})"


def pregnancy_question(concept: CodeableConcept) -> PregnancyCodeRow | None:
    """The listed question an Observation with this code asks (its first listed coding), or None."""
    for coding in concept.coding:
        row = _QUESTIONS.get((coding.system or "", coding.code or ""))
        if row is not None:
            return row
    return None


def _answer(concept: CodeableConcept | None) -> PregnancyCodeRow | None:
    for coding in concept.coding if concept is not None else ():
        row = _ANSWERS.get((coding.system or "", coding.code or ""))
        if row is not None:
            return row
    return None


def _observation_day(observation: Observation) -> date | None:
    period = observation.effectivePeriod
    return parse_day(observation.effectiveDateTime or (period.start if period else None) or observation.issued)


def _from_observation(observation: Observation, question: PregnancyCodeRow, as_of: date) -> _Said | None:
    if observation.status not in _USABLE:
        return None
    source, day = f"Observation/{observation.id}", _observation_day(observation)
    if question.meaning == "delivery-date":
        due = parse_day(observation.valueDateTime)
        if due is None or due - as_of > _MAX_AHEAD:
            return None
        if due > as_of:
            return _Said("pregnant", source, day, f"estimated delivery date {due.isoformat()} ({question.code})", due)
        return _Said("not-pregnant", source, due, f"estimated delivery date {due.isoformat()} has passed", due)
    if question.meaning == "breastfeeding-status" and observation.valueBoolean is not None:
        meaning = "breastfeeding" if observation.valueBoolean else "not-breastfeeding"
        return _Said(meaning, source, day, f"{question.display}: {'yes' if observation.valueBoolean else 'no'}")
    answer = _answer(observation.valueCodeableConcept)
    if answer is None or answer.meaning not in _AXIS:
        return None  # an unlisted answer, or "unknown": nothing concluded
    if _AXIS[answer.meaning] != ("pregnant" if question.meaning == "pregnancy-status" else "breastfeeding"):
        return None  # an answer of the other question (e.g. "pregnant" under breastfeeding status)
    return _Said(answer.meaning, source, day, f"{question.display}: {_code_name(answer)}")


def _phrase(words: str) -> PregnancyCodeRow | None:
    """The first listed phrase in `words` (planning, then negations, then breastfeeding, then pregnancy)."""
    return next((row for row in _PHRASES if row.code in words), None)


def _from_condition(condition: Condition) -> _Said | None:
    if condition.code is None:
        return None
    status = (
        next((c.code for c in condition.clinicalStatus.coding if c.code), None) if condition.clinicalStatus else None
    )
    verification = (
        next((c.code for c in condition.verificationStatus.coding if c.code), None)
        if condition.verificationStatus
        else None
    )
    if status not in _ACTIVE or verification in _NOT_TRUE:
        return None
    source = f"Condition/{condition.id}"
    period = condition.onsetPeriod
    day = parse_day(condition.onsetDateTime or (period.start if period else None) or condition.recordedDate)
    for code in condition.code.codes(SNOMED):
        row = _CONDITION_SNOMED.get(code)
        if row is not None:
            return _Said(row.meaning, source, day, f"Condition: {_code_name(row)}")
    icd10 = [c.code.replace(".", "").upper() for c in condition.code.coding if c.system in ICD10 and c.code]
    for code in icd10:
        for prefix, row in _CONDITION_ICD10:
            if code.startswith(prefix):
                return _Said(row.meaning, source, day, f"Condition: {_code_name(row)}")
    text = " ".join([condition.code.words(), *((n.text or "").lower() for n in condition.note)])
    row = _phrase(text)
    if row is None:
        return None
    return _Said(row.meaning, source, day, f"Condition text: '{row.code}'", code_verified=False)


def _from_goal(goal: Goal) -> _Said | None:
    if goal.lifecycleStatus not in _PURSUED:
        return None
    words = " ".join(
        [goal.description.words() if goal.description else "", *((n.text or "").lower() for n in goal.note)]
    )
    row = _phrase(words)
    if row is None or row.meaning != "planning":
        return None
    return _Said("planning", f"Goal/{goal.id}", None, f"Goal text: '{row.code}'", code_verified=False)


def _latest(said: Iterable[_Said]) -> _Said | None:
    """The latest dated statement (undated ones count as oldest); on one day a positive one, then one with a
    delivery date, then by source: the same answer whatever the order of the record."""
    return max(
        said, key=lambda s: (s.recorded or date.min, s.meaning in _POSITIVE, s.due is not None, s.source), default=None
    )


def map_pregnancy(
    observations: list[Observation], conditions: list[Condition], goals: list[Goal], as_of: date
) -> tuple[Pregnancy, ...]:
    """At most one record per status: pregnant, breastfeeding, planning (see the module docstring)."""
    questions = [(o, row) for o in observations if (row := pregnancy_question(o.code)) is not None]
    return pregnancy_from(questions, conditions, goals, as_of)


def pregnancy_from(
    questions: list[tuple[Observation, PregnancyCodeRow]], conditions: list[Condition], goals: list[Goal], as_of: date
) -> tuple[Pregnancy, ...]:
    """`map_pregnancy` from the Observations that ask a listed question, each with its `pregnancy_question` (snapshot.py
    sorts the Observations once: observation_kinds.py)."""
    said = [s for o, row in questions if (s := _from_observation(o, row, as_of)) is not None]
    said += [s for c in conditions if (s := _from_condition(c)) is not None]
    said += [s for g in goals if (s := _from_goal(g)) is not None]
    found: list[Pregnancy] = []
    for axis in ("pregnant", "breastfeeding"):
        latest = _latest(s for s in said if _AXIS.get(s.meaning) == axis)
        if latest is not None and latest.meaning in _POSITIVE:
            found.append(_record(_POSITIVE[latest.meaning], latest))
    planning = _latest(s for s in said if s.meaning == "planning")
    if planning is not None:
        found.append(_record(PregnancyStatus.PLANNING, planning))
    return tuple(found)


def _record(status: PregnancyStatus, said: _Said) -> Pregnancy:
    return Pregnancy(status, said.source, said.recorded, said.how, said.due, said.code_verified)
