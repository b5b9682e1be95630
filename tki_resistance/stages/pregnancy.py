"""A TKI in pregnancy, while breastfeeding, or with a pregnancy planned (`pregnancy`; docs/methods/pregnancy.md).

- Pregnant (state.pregnancy, state/pregnancy.py) on any TKI, current or ordered: one **critical** card — stop
  the TKI (every label warns of embryo-fetal toxicity; a review calls TKIs contraindicated in pregnancy; the
  first trimester above all; dasatinib: hydrops fetalis reported, avoided at any stage), refer to the CML team
  with obstetric liaison; what may control the disease instead is said from its own row, marked unverified
  while that row is.
- Breastfeeding on a TKI: no TKI while breastfeeding — critical where the label says "must not" (dasatinib),
  else a warning.
- Planning a pregnancy on a TKI (female, or sex not recorded): when the ELN 2020 TFR criteria are met in the
  record (stages/tfr.py `evaluate_tfr`), the TFR route leads the card; otherwise a warning that the decision
  needs a specialist discussion. A male patient planning to conceive: no card.

The same card serves the ordering hooks (`pregnancy_finding` for a drafted TKI, with `withhold`).
"""

from __future__ import annotations

from ..evidence import exposure_evidence
from ..findings import Evidence, Finding, FindingCode, RuleRef, Severity, fit
from ..knowledge.loader import Knowledge
from ..knowledge.schema import PregnancyRuleRow
from ..model import Pregnancy, PregnancyStatus, TkiExposure
from ..state import ClinicalState
from ..state.history import ordered_tkis
from ..state.lines import failed_tfr_attempt
from ..state.milestones import MMR_PERCENT
from .tfr import evaluate_tfr

__all__ = ["UNVERIFIED_TEXT", "pregnancy_evidence", "pregnancy_finding", "pregnancy_findings", "tfr_route"]

_SEVERITY = {"stop": Severity.CRITICAL, "warning": Severity.WARNING, "info": Severity.INFO}
_RANK = (Severity.INFO, Severity.WARNING, Severity.CRITICAL)
_REQUIRED_TIERS = ("mandatory", "minimal")

#: Cited on a card whose pregnancy was read from free text, not from a listed code.
UNVERIFIED_TEXT = RuleRef(
    id="mapping.pregnancy-text",
    guideline="unverified",
    source="tki_resistance/knowledge/pregnancy_codes.toml: a phrase of Condition or Goal text, not a code",
    verified=False,
    text="Check that the record says what the phrase suggests.",
    label="cml-cds pregnancy phrases (pregnancy_codes.toml), the service's choice",
)


def pregnancy_evidence(record: Pregnancy) -> Evidence:
    label = {"pregnant": "Pregnancy", "breastfeeding": "Breastfeeding", "planning": "Planned pregnancy"}
    when = record.recorded.isoformat() if record.recorded else None
    return Evidence(label[record.status.value], record.how, when, record.source)


def _when(record: Pregnancy) -> str:
    if record.due is not None:
        return f"due {record.due.isoformat()}"
    return f"recorded {record.recorded.isoformat()}" if record.recorded else "recorded, undated"


def _rules(rows: list[PregnancyRuleRow], record: Pregnancy, knowledge: Knowledge) -> tuple[RuleRef, ...]:
    unique = {row.id: row for row in rows}
    refs = tuple(knowledge.rule(row) for row in unique.values())
    return (*refs, UNVERIFIED_TEXT) if not record.code_verified else refs


def _line(row: PregnancyRuleRow, knowledge: Knowledge) -> str:
    flag = "" if row.verified else " *(unverified)*"
    return f"- {row.text}{flag} ({knowledge.sources[row.source].label})"


def _pregnant(exposure: TkiExposure, record: Pregnancy, knowledge: Knowledge) -> Finding:
    drug = exposure.drug
    role = "drafted" if exposure.ordered else "current"
    general = list(knowledge.pregnancy_rows("pregnant", None))
    label = [row for row in knowledge.pregnancy_rows("pregnant", drug) if row.tki == drug]
    trimester = list(knowledge.pregnancy_rows("first-trimester"))
    instead = list(knowledge.pregnancy_rows("alternatives"))
    detail = [
        f"Pregnancy on record ({record.how}, {_when(record)}) with the {role} TKI {drug}.",
        *(_line(row, knowledge) for row in [*general, *label, *trimester]),
        "What may control the disease instead, with the CML team:",
        *(_line(row, knowledge) for row in instead),
    ]
    verb = "Do not sign" if exposure.ordered else "Stop"
    return Finding(
        code=FindingCode.PREGNANCY,
        severity=Severity.CRITICAL,
        summary=fit(
            f"{verb} {drug}: pregnant ({_when(record)}); TKIs are contraindicated in pregnancy",
            f"{verb} {drug}: pregnant; TKIs are contraindicated in pregnancy",
        ),
        action=f"**{'Do not sign' if exposure.ordered else 'Stop'} {drug}**; refer to the CML team with obstetric "
        "liaison, who decide how the disease is controlled during the pregnancy (no TKI in the first trimester"
        + ("; dasatinib at no stage" if drug == "dasatinib" else "")
        + ").",
        rules=_rules([*general, *label, *trimester, *instead], record, knowledge),
        evidence=(exposure_evidence(exposure, f"{role.capitalize()} TKI"), pregnancy_evidence(record)),
        detail=tuple(detail),
        override_reasons=("Pregnancy no longer current", "Decided by the CML team with obstetric liaison"),
        extra={"status": "pregnant", "tki": drug, "pregnancyRecord": record.source}
        | ({"due": record.due.isoformat()} if record.due else {}),
    )


def _breastfeeding(exposure: TkiExposure, record: Pregnancy, knowledge: Knowledge) -> Finding | None:
    drug = exposure.drug
    rows = [row for row in knowledge.pregnancy_rows("breastfeeding", drug) if row.tki == drug]
    if not rows:
        return None
    severity = max((_SEVERITY[row.strength] for row in rows), key=_RANK.index)
    must = severity is Severity.CRITICAL
    return Finding(
        code=FindingCode.PREGNANCY,
        severity=severity,
        summary=fit(
            f"No {drug} while breastfeeding ({_when(record)}): label says {'must not' if must else 'do not'} "
            "breastfeed",
            f"No {drug} while breastfeeding: label says {'must not' if must else 'do not'} breastfeed",
        ),
        action=f"Do not combine {drug} and breastfeeding: stop breastfeeding, or pause {drug} (a decision with the "
        "CML team).",
        rules=_rules(rows, record, knowledge),
        evidence=(
            exposure_evidence(exposure, "Current TKI" if not exposure.ordered else "Drafted TKI"),
            pregnancy_evidence(record),
        ),
        detail=(
            f"Breastfeeding on record ({record.how}, {_when(record)}) with {drug}.",
            *(_line(row, knowledge) for row in rows),
        ),
        override_reasons=("No longer breastfeeding", "Decided with the CML team"),
        extra={"status": "breastfeeding", "tki": drug, "pregnancyRecord": record.source},
    )


def tfr_route(state: ClinicalState, knowledge: Knowledge) -> bool:
    """True when no ELN 2020 mandatory or minimal TFR criterion is unmet in the record (as the TFR card asks)."""
    if failed_tfr_attempt(state.snapshot, MMR_PERCENT) is not None:
        return False
    return not any(r.met is False and r.row.tier in _REQUIRED_TIERS for r in evaluate_tfr(state, knowledge))


def _planning(state: ClinicalState, exposure: TkiExposure, record: Pregnancy, knowledge: Knowledge) -> Finding:
    drug = exposure.drug
    rows = list(knowledge.pregnancy_rows("planning", drug))
    route = tfr_route(state, knowledge)
    chosen = [r for r in rows if (r.strength == "info") == route]
    sex = "" if state.snapshot.sex else " Sex not recorded: a male patient need not stop a TKI to conceive."
    if route:
        first = (
            f"**TFR route**: the ELN 2020 TFR criteria are met in the record — stop {drug} as a TFR attempt "
            "(monthly qPCR) before conception."
        )
        summary = fit(
            f"Planned pregnancy on {drug}: TFR criteria met — stop {drug} as a TFR attempt before conception",
            f"Planned pregnancy on {drug}: TFR criteria met — TFR route",
        )
        action = (
            f"Discuss stopping {drug} (TFR) before conception; qPCR monthly; restart plans for a loss of MMR "
            "during pregnancy with the CML team and obstetric liaison."
        )
    else:
        first = (
            f"The ELN 2020 TFR criteria are not met in the record: no standard route to stop {drug} for a pregnancy."
        )
        summary = fit(
            f"Planned pregnancy on {drug}: TFR criteria not met — needs a specialist (CML team) discussion",
            f"Planned pregnancy on {drug}: needs a specialist discussion",
        )
        action = (
            f"Refer to the CML team to plan the pregnancy before {drug} is stopped; advise contraception until then."
        )
    return Finding(
        code=FindingCode.PREGNANCY,
        severity=Severity.WARNING,
        summary=summary,
        action=action,
        rules=_rules(chosen, record, knowledge),
        evidence=(exposure_evidence(exposure), pregnancy_evidence(record)),
        detail=(first, f"Planned pregnancy on record ({record.how}).{sex}", *(_line(row, knowledge) for row in chosen)),
        override_reasons=("Pregnancy plan already discussed", "Patient no longer planning a pregnancy"),
        extra={"status": "planning", "tki": drug, "tfrRoute": route, "pregnancyRecord": record.source},
    )


def pregnancy_finding(state: ClinicalState, exposure: TkiExposure, knowledge: Knowledge) -> Finding | None:
    """The pregnancy card for one TKI exposure (current, ordered or drafted), or None."""
    record = state.pregnancy
    if record is None:
        return None
    if record.status is PregnancyStatus.PREGNANT:
        return _pregnant(exposure, record, knowledge)
    if record.status is PregnancyStatus.BREASTFEEDING:
        return _breastfeeding(exposure, record, knowledge)
    if state.snapshot.sex == "male" or exposure.ordered:
        return None  # a man need not stop a TKI to conceive; a plan is discussed on the current TKI, not an order
    return _planning(state, exposure, record, knowledge)


def pregnancy_findings(state: ClinicalState, knowledge: Knowledge) -> list[Finding]:
    """One card: the current TKI, else a TKI ordered but not yet taken."""
    snapshot = state.snapshot
    exposure = snapshot.current_tki or next(iter(ordered_tkis(snapshot)), None)
    if exposure is None:
        return []
    found = pregnancy_finding(state, exposure, knowledge)
    return [found] if found is not None else []
