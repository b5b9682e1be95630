"""Staging Observations → the CML phase they record (issue #22, "phase history").

A stage-group Observation — code LOINC 21908-9 "Stage group.clinical Cancer" or 21902-2 "Stage
group.pathology Cancer" (`terminology.STAGE_GROUP`, how mCODE codes a stage group; [M]) — records a phase
exactly as a Condition's stage does: its `valueCodeableConcept` is read by the rule of recorded_phase.py
(SNOMED 278177007 chronic, 278179005 accelerated, else the phase words of its text and displays). Its date is
`effectiveDateTime`, else `effectivePeriod.start`, else `issued`; an undated record is kept undated, as an
undated Condition is (the clinical state cannot show it old).

Only usable statuses (final, amended, corrected, preliminary) are read; any other status, and a stage group
whose value is missing or is not a CML phase the rule reads (a solid tumour's "Stage IIA"), is excluded and
reported, never dropped silently. The phases found join the Conditions' before the latest and the earliest
are chosen (snapshot.py, `recorded_phase.choose_phases`); whether a phase is still current is the clinical
state's question (`tki_resistance/state/phase.py`), not the mapping's.
"""

from __future__ import annotations

from datetime import date

from tki_resistance.model import DiseasePhase

from .dates import parse_day
from .exclusions import ExclusionLog
from .recorded_phase import RecordedPhase, phase_of
from .resources import CodeableConcept, Observation
from .terminology import LOINC, STAGE_GROUP

__all__ = ["map_staging", "stage_group"]

_STAGE_GROUP = frozenset(STAGE_GROUP)
_USABLE = frozenset({"final", "amended", "corrected", "preliminary"})
_NOT_A_PHASE = (
    "stage group value is not a CML phase the service reads (SNOMED 278177007 chronic phase, 278179005 "
    "accelerated phase, or the words chronic, accelerated or blast phase / blast crisis)"
)


def stage_group(code: CodeableConcept) -> bool:
    """Whether an Observation with this code is a cancer stage group (LOINC 21908-9, 21902-2)."""
    return code.has(LOINC, _STAGE_GROUP)


def _day(observation: Observation) -> date | None:
    period = observation.effectivePeriod
    return parse_day(observation.effectiveDateTime or (period.start if period else None) or observation.issued)


def map_staging(observations: list[Observation], log: ExclusionLog) -> tuple[RecordedPhase, ...]:
    """The phase each usable stage-group Observation records, in the order given; the others logged. Any other
    Observation in the list is not read (snapshot.py passes only stage groups: observation_kinds.py)."""
    phases: list[RecordedPhase] = []
    for observation in observations:
        if not stage_group(observation.code):
            continue
        status = observation.status or "unknown"
        if status not in _USABLE:
            log.exclude(observation, f"status '{status}': not a usable staging result")
            continue
        value = observation.valueCodeableConcept
        if value is None:
            log.exclude(observation, "stage group without a coded value (valueCodeableConcept): no CML phase read")
            continue
        phase = phase_of([value])
        if phase is DiseasePhase.UNKNOWN:
            log.exclude(observation, _NOT_A_PHASE)
            continue
        day = _day(observation)
        phases.append(RecordedPhase(day or date.min, phase, f"Observation/{observation.id}", day))
    return tuple(phases)
