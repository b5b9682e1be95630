"""Goal resources (and their text) → whether a treatment-free remission goal is recorded.

FHIR has no standard code for "treatment-free remission", so a Goal counts when its description or note
names it in words (`terminology.toml` `stop_reason.tfr_words`, plus "stop the TKI"/"discontinue the TKI"
phrasings); only goals that are still pursued or achieved count (lifecycleStatus proposed, planned,
accepted, active, on-hold, completed). A cancelled, rejected or entered-in-error goal never counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from .resources import Annotation, CodeableConcept, FhirResource, Reference
from .terminology import TFR_WORDS

__all__ = ["Goal", "TfrGoal", "tfr_goal"]

_PURSUED = frozenset({"proposed", "planned", "accepted", "active", "on-hold", "completed"})
_STOP_TKI = re.compile(r"\b(stop|stopping|discontinu\w*|cessation)\b.*\b(tki|imatinib|nilotinib|dasatinib|bosutinib)")
_TFR = re.compile(r"\b(" + "|".join(re.escape(w) for w in TFR_WORDS) + r")\b")


class Goal(FhirResource, frozen=True, kw_only=True, tag="Goal"):
    resourceType: ClassVar[str] = "Goal"
    id: str | None = None
    lifecycleStatus: str | None = None
    description: CodeableConcept | None = None
    subject: Reference | None = None
    note: tuple[Annotation, ...] = ()


@dataclass(frozen=True)
class TfrGoal:
    source: str


def _words(goal: Goal) -> str:
    parts = [goal.description.words() if goal.description else ""]
    parts += [(n.text or "").lower() for n in goal.note]
    return " ".join(parts)


def tfr_goal(goals: list[Goal]) -> TfrGoal | None:
    """The first pursued Goal that names treatment-free remission (or stopping the TKI), or None."""
    for goal in goals:
        if (goal.lifecycleStatus or "active") not in _PURSUED:
            continue
        words = _words(goal)
        if _TFR.search(words) or _STOP_TKI.search(words):
            return TfrGoal(f"Goal/{goal.id}")
    return None
