"""Label starting doses in renal or hepatic impairment (`dose-check`, issue #23).

The clinical state reads today's renal and hepatic function (state/organ.py): a recent creatinine clearance
(or eGFR) or Child-Pugh class, else a recorded kidney or liver Condition. The rows of doses.toml for the TKI,
its line and today's phase say the label's dose there (imatinib by creatinine clearance band and in severe
hepatic impairment; nilotinib in hepatic impairment, first line and resistant/intolerant; bosutinib renal and
hepatic; ponatinib hepatic). Asciminib has no row: nothing is said.

- Patient-view: the current TKI above the label's dose: a warning, or info when the dose is still within
  the most the label allows there (e.g. imatinib ≤400 mg at CrCl 20–39, where the label starts at 50% and
  lets the dose rise as tolerated).
- Ordering: a drafted TKI above the label's starting dose: a warning; when one firm row applies, the card
  withholds the draft and offers the starting dose (`extra["replacementDose"]`).
A kidney or liver Condition without a measure (or a class) speaks only when the dose is above every band or
class the label gives, and names them all: the clinician checks the clearance or the class.
"""

from __future__ import annotations

from typing import Any

from ..evidence import exposure_evidence, format_dose
from ..findings import Finding, FindingCode, Severity, fit
from ..knowledge.loader import Knowledge
from ..knowledge.schema import DoseRow
from ..model import TkiExposure
from ..state import ClinicalState
from ..state.organ import OrganReading, organ_dose_rows

__all__ = ["organ_dose_findings", "replacement"]

_OVERRIDES = ("Dose chosen deliberately", "Organ function re-checked: no longer impaired")


def replacement(row: DoseRow) -> dict[str, Any]:
    """The dose a corrected order carries: mg per dose, doses per day, and the row's wording."""
    return {"mgPerDose": row.daily_mg / row.doses_per_day, "dosesPerDay": row.doses_per_day, "text": row.text}


def _short(reading: OrganReading) -> str:
    value = reading.value
    if value is None:
        condition = reading.condition
        return f"recorded {condition.display or condition.key}" if condition is not None else "organ impairment"
    if value.measure == "child-pugh":
        return f"Child-Pugh {value.grade}"
    name = "eGFR" if value.measure == "egfr" else "CrCl"
    return f"{name} {value.value:g} mL/min"


def organ_dose_findings(
    state: ClinicalState, exposure: TkiExposure, knowledge: Knowledge, *, line: str, drafted: bool
) -> list[Finding]:
    """The organ-function dose findings for one exposure (the current TKI, or a drafted one)."""
    dose = exposure.daily_dose_mg
    if dose is None:
        return []
    found: list[Finding] = []
    for reading, rows in organ_dose_rows(state.organ, exposure.drug, line, state.phase.name, knowledge):
        single = rows[0] if len(rows) == 1 else None
        ceiling = max(r.daily_mg for r in rows)
        if dose <= ceiling:
            continue
        kind = "renal" if rows[0].situation == "renal-impairment" else "hepatic"
        role = "drafted" if drafted else "current"
        detail = [
            f"Today's {kind} function: {reading.said}. The {role} dose is {format_dose(exposure)}.",
        ]
        if single is not None:
            label_dose = f"{single.daily_mg:g} mg/day"
            detail.append(f"Label: {single.text}.")
        else:
            label_dose = f"≤{ceiling:g} mg/day"
            detail.append(
                "The label's dose depends on the "
                + ("creatinine clearance" if kind == "renal" else "Child-Pugh class")
                + ", which the record does not give: "
                + "; ".join(r.text for r in rows)
                + "."
            )
        within = single is not None and single.max_daily_mg is not None and dose <= single.max_daily_mg
        severity = Severity.INFO if within and not drafted else Severity.WARNING
        if within and not drafted and single is not None:
            detail.append(
                f"The {role} dose is within the most the label allows here ({single.max_daily_mg:g} mg/day) "
                "if it was reached by escalation as tolerated."
            )
        replace = drafted and single is not None and single.firm
        drug = exposure.drug
        if drafted:
            summary = fit(
                f"Start {drug} at {label_dose} with {_short(reading)}: drafted {dose:g} mg/day (label)",
                f"Start {drug} at {label_dose} with {_short(reading)} (label)",
            )
        elif within and single is not None:
            summary = fit(
                f"{drug.capitalize()} {dose:g} mg/day with {_short(reading)}: the label starts at {label_dose}, "
                f"at most {single.max_daily_mg:g} mg/day",
                f"{drug.capitalize()} with {_short(reading)}: the label starts at {label_dose}",
            )
        else:
            summary = fit(
                f"{drug.capitalize()} {dose:g} mg/day is above the label's {label_dose} with {_short(reading)}",
                f"{drug.capitalize()} above the label's dose with {_short(reading)}",
            )
        action = (
            f"Label dose with {_short(reading)}: {single.text}."
            if single is not None
            else "Check the " + ("creatinine clearance" if kind == "renal" else "Child-Pugh class") + " and dose by it."
        )
        extra: dict[str, Any] = {"organ": kind}
        if drafted:
            extra["withhold"] = replace
            if replace and single is not None:
                extra["replacementDose"] = replacement(single)
        found.append(
            Finding(
                code=FindingCode.DOSE_CHECK,
                severity=severity,
                summary=summary,
                rules=tuple(knowledge.rule(r) for r in (*rows, *reading.rows)),
                evidence=(exposure_evidence(exposure, "Drafted TKI" if drafted else "Current TKI"), reading.evidence),
                detail=tuple(detail),
                override_reasons=_OVERRIDES,
                action=action,
                extra=extra,
            )
        )
    return found
