"""Today's pregnancy status: the chart's records (fhir_mapping/pregnancy.py) that still describe the patient.

A pregnancy record ages out after the `pregnancy` window of evidence_windows.toml (42 weeks) unless a delivery
date still ahead says otherwise; a breastfeeding record after the `breastfeeding` window; a planned pregnancy
stays until the chart says otherwise. Pregnant comes first, then breastfeeding, then planning: one status.
"""

from __future__ import annotations

from datetime import date

from ..knowledge.loader import Knowledge
from ..model import PatientSnapshot, Pregnancy, PregnancyStatus

__all__ = ["current_pregnancy"]

_ORDER = (PregnancyStatus.PREGNANT, PregnancyStatus.BREASTFEEDING, PregnancyStatus.PLANNING)
#: The evidence_windows.toml row of each status that ages out.
_WINDOW = {PregnancyStatus.PREGNANT: "pregnancy", PregnancyStatus.BREASTFEEDING: "breastfeeding"}


def _window(knowledge: Knowledge, evidence: str) -> int | None:
    row = knowledge.evidence_window(evidence)
    return row.max_age_days if row is not None else None


def _current(record: Pregnancy, as_of: date, knowledge: Knowledge) -> bool:
    if record.status is PregnancyStatus.PLANNING:
        return True
    if record.due is not None and record.due > as_of:
        return True
    days = _window(knowledge, _WINDOW[record.status])
    return record.recorded is None or days is None or (as_of - record.recorded).days <= days


def current_pregnancy(snapshot: PatientSnapshot, knowledge: Knowledge) -> Pregnancy | None:
    """The one status that holds today (pregnant, else breastfeeding, else planning), or None."""
    current = [r for r in snapshot.pregnancy if _current(r, snapshot.as_of, knowledge)]
    return min(current, key=lambda r: _ORDER.index(r.status), default=None)
