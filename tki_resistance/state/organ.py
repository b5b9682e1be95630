"""Organ function and serum electrolytes today (issue #23), read once per call.

- *Renal*: a creatinine clearance (or an eGFR in its place) no older than the `organ.renal.window` row; else
  a recorded kidney Condition (`kidney-disease`). A recent value beats the Condition: a normal clearance means
  no renal dose step, whatever the problem list says.
- *Hepatic*: a Child-Pugh class no older than the `organ.hepatic.window` row; else a recorded liver Condition
  (`liver-disease`), class unknown.
- *Potassium and magnesium*: a result no older than the `organ.electrolytes.window` row below its own
  reference range (else the table's lower limit) is hypokalaemia / hypomagnesaemia today, as a comorbidity
  that names the Observation; a recent normal result sets aside a hypokalaemia / hypomagnesaemia Condition
  recorded before it (corrected). An old result decides nothing: the Condition, if any, stands.
"""

from __future__ import annotations

from datetime import date

import msgspec

from ..findings import Evidence
from ..knowledge.loader import Knowledge
from ..knowledge.schema import DoseRow, OrganFunctionRow
from ..model import Comorbidity, OrganFunction, PatientSnapshot

__all__ = ["OrganReading", "OrganState", "organ_dose_rows", "organ_state"]

_ELECTROLYTE_KEYS = {"potassium": "hypokalaemia", "magnesium": "hypomagnesaemia"}
_NAMES = {
    "creatinine-clearance": "Creatinine clearance",
    "egfr": "eGFR",
    "child-pugh": "Child-Pugh class",
    "potassium": "Potassium",
    "magnesium": "Magnesium",
}


class OrganReading(msgspec.Struct, frozen=True, gc=False):
    """Today's renal or hepatic function: a recent measure, or else the recorded Condition."""

    value: OrganFunction | None
    condition: Comorbidity | None
    rows: tuple[OrganFunctionRow, ...]  # the organ_function rows it rests on (window; eGFR read as CrCl)

    @property
    def clearance(self) -> float | None:
        """mL/min: a creatinine clearance, or an eGFR read in its place; None with a Condition only."""
        return (
            self.value.value
            if self.value is not None and self.value.measure in ("creatinine-clearance", "egfr")
            else None
        )

    @property
    def grade(self) -> str | None:
        return self.value.grade if self.value is not None else None

    @property
    def evidence(self) -> Evidence:
        if self.value is not None:
            return organ_evidence(self.value)
        condition = self.condition
        if condition is None:  # never built so: a reading has a value or a Condition
            return Evidence("Comorbidity", "organ impairment", None, None)
        return Evidence(
            "Comorbidity",
            condition.display or condition.key,
            condition.onset.isoformat() if condition.onset else None,
            condition.source,
        )

    @property
    def said(self) -> str:
        """How the card names it: "CrCl 25 mL/min (2026-11-01)", "Child-Pugh C", or the Condition."""
        value = self.value
        if value is None:
            condition = self.condition
            name = (condition.display or condition.key) if condition is not None else "organ impairment"
            return f"recorded {name} (no recent measure)"
        when = f" ({value.taken.isoformat()})" if value.taken else ""
        if value.measure == "child-pugh":
            return f"Child-Pugh class {value.grade}{when}"
        if value.measure == "egfr":
            return f"eGFR {value.value:g} {value.unit}{when}, read as creatinine clearance"
        return f"creatinine clearance {value.value:g} {value.unit}{when}"


class OrganState(msgspec.Struct, frozen=True, gc=False):
    renal: OrganReading | None = None
    hepatic: OrganReading | None = None
    #: recent potassium / magnesium results below range, as the comorbidities they are today
    low_electrolytes: tuple[Comorbidity, ...] = ()
    #: recorded hypokalaemia / hypomagnesaemia Conditions a later normal result shows corrected
    corrected: tuple[Comorbidity, ...] = ()
    #: Observation reference → the organ_function rows its reading rests on (for the card's rules)
    rows_by_source: tuple[tuple[str, tuple[OrganFunctionRow, ...]], ...] = ()

    def rows_for(self, source: str) -> tuple[OrganFunctionRow, ...]:
        return next((rows for ref, rows in self.rows_by_source if ref == source), ())


def organ_evidence(value: OrganFunction) -> Evidence:
    name = _NAMES.get(value.measure, value.measure)
    said = f"class {value.grade}" if value.measure == "child-pugh" else f"{value.value:g} {value.unit}"
    if value.measure == "child-pugh" and value.value is not None:
        said += f" ({value.value:g} points)"
    return Evidence(name, said, value.taken.isoformat() if value.taken else None, value.source)


def _recent(value: OrganFunction | None, window: OrganFunctionRow | None, as_of: date) -> bool:
    if value is None or value.taken is None:
        return False
    return window is None or window.days is None or (as_of - value.taken).days <= window.days


def _reading(
    value: OrganFunction | None, key: str, snapshot: PatientSnapshot, rows: tuple[OrganFunctionRow, ...]
) -> OrganReading | None:
    if value is not None:
        return OrganReading(value, None, rows)
    condition = next((c for c in snapshot.comorbidities if c.key == key), None)
    return OrganReading(None, condition, ()) if condition is not None else None


def organ_state(snapshot: PatientSnapshot, knowledge: Knowledge) -> OrganState:
    as_of = snapshot.as_of
    renal_window = knowledge.organ_rule("renal", "window")
    hepatic_window = knowledge.organ_rule("hepatic", "window")
    electrolyte_window = knowledge.organ_rule("potassium", "window")
    renal = snapshot.renal if _recent(snapshot.renal, renal_window, as_of) else None
    renal_rows = tuple(r for r in (renal_window,) if r is not None)
    if (
        renal is not None
        and renal.measure == "egfr"
        and (surrogate := knowledge.organ_rule("renal", "egfr-for-clearance"))
    ):
        renal_rows += (surrogate,)
    hepatic = snapshot.hepatic if _recent(snapshot.hepatic, hepatic_window, as_of) else None
    low: list[Comorbidity] = []
    corrected: list[Comorbidity] = []
    by_source: list[tuple[str, tuple[OrganFunctionRow, ...]]] = []
    for measure, key in _ELECTROLYTE_KEYS.items():
        value: OrganFunction | None = getattr(snapshot, measure)
        if value is None or value.value is None or value.taken is None or not _recent(value, electrolyte_window, as_of):
            continue
        limit_row = knowledge.organ_rule(measure, "lower-limit") if value.low is None else None
        limit = value.low if value.low is not None else (limit_row.value if limit_row is not None else None)
        if limit is None:
            continue
        rows = tuple(r for r in (electrolyte_window, limit_row) if r is not None)
        if value.value < limit:
            display = f"{_NAMES[measure]} {value.value:g} mmol/L (below {limit:g})"
            low.append(Comorbidity(value.source, key, display, value.taken))
            by_source.append((value.source, rows))
        else:
            taken = value.taken
            corrected += [c for c in snapshot.comorbidities if c.key == key and (c.onset is None or c.onset <= taken)]
    if renal is not None:
        by_source.append((renal.source, renal_rows))
    return OrganState(
        renal=_reading(renal, "kidney-disease", snapshot, renal_rows),
        hepatic=_reading(hepatic, "liver-disease", snapshot, tuple(r for r in (hepatic_window,) if r is not None)),
        low_electrolytes=tuple(low),
        corrected=tuple(corrected),
        rows_by_source=tuple(by_source),
    )


def organ_dose_rows(
    organ: OrganState, tki: str, line: str, phase: str, knowledge: Knowledge
) -> list[tuple[OrganReading, list[DoseRow]]]:
    """The label's starting-dose rows for `tki` that today's organ function calls for, with the reading they
    rest on: the renal band the clearance falls in (a kidney Condition alone: every band, the clinician
    checks the clearance), or the hepatic rows for the Child-Pugh class (class unknown: the rows only when
    together they cover every class, so that some reduction applies whatever the class). Renal first; empty
    when nothing applies."""
    candidates: list[tuple[OrganReading, list[DoseRow]]] = []
    for reading, situation in ((organ.renal, "renal-impairment"), (organ.hepatic, "hepatic-impairment")):
        if reading is None:
            continue
        rows = [
            r
            for r in knowledge.doses
            if r.tki == tki
            and r.situation == situation
            and r.line in (line, "any")
            and r.phase in ("any", phase, "advanced" if phase in ("accelerated", "blast") else phase)
        ]
        if situation == "renal-impairment":
            crcl = reading.clearance
            rows = [r for r in rows if crcl is None or r.covers_clearance(crcl)]
        else:
            grade = reading.grade
            if grade is not None:
                rows = [r for r in rows if not r.child_pugh or grade in r.child_pugh]
            elif not any(not r.child_pugh for r in rows) and {c for r in rows for c in r.child_pugh} != {"A", "B", "C"}:
                rows = []
        if rows:
            candidates.append((reading, rows))
    return candidates
