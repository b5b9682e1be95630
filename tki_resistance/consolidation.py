"""One card per thing to do: fold findings that repeat another, then order by urgency.

The stages stay independent (each says everything it knows); this pure step decides what the clinician
reads. A folded finding is never dropped: its rules and data points join the host card, its one-line form
(`Finding.brief`) joins the host's detail, and the rest of it (code, summary, detail, extension keys) is in
the host's `extra["absorbed"]`. The rules (docs/assessment.md, "One card per thing to do"):

1. A dose below the standard that a `dose-check` card is about (same medication record) belongs to the
   dose-check card; `extrinsic-causes` keeps its other causes.
2. `extrinsic-causes` stands alone only with a concrete cause in the record: an interacting co-medication,
   a dose below standard, a gap in the medication record. Otherwise (only "ask about adherence") it folds
   into the milestone card, or failing that the mutation-testing or monitoring card of the same call.
3. `sct-referral` whose only reason is the advanced phase folds into the `advanced-phase` card; with
   another reason (≥2 TKIs failed, compound mutation, T315I after ponatinib, intolerance of every option)
   both stay: the transplant referral is its own action.
4. Order: critical, then warning, then info; within a level, the order of the framework (`FRAMEWORK_ORDER`).
5. A `tfr-eligible` finding folds into the `pregnancy` card of the same call: stopping the TKI is the one
   thing to do (the TFR route leads a planned pregnancy's card; in pregnancy the TKI stops anyway).
"""

from __future__ import annotations

from typing import Any

import msgspec

from .findings import Finding, FindingCode, RuleRef, Severity
from .stages.extrinsic_causes import CONCRETE_CAUSES, extrinsic_summary

__all__ = ["FRAMEWORK_ORDER", "absorb", "by_urgency", "consolidate"]

#: The Soverini–ELN framework's order, as the pipeline runs it; data-quality findings last.
FRAMEWORK_ORDER: tuple[FindingCode, ...] = (
    FindingCode.PREGNANCY,
    FindingCode.ADVANCED_PHASE,
    FindingCode.RELAPSE,
    FindingCode.DISCORDANT_RESULTS,
    FindingCode.MILESTONE_FAILURE,
    FindingCode.MILESTONE_WARNING,
    FindingCode.EXTRINSIC_CAUSES,
    FindingCode.DRUG_INTERACTION,
    FindingCode.MUTATION_TESTING,
    FindingCode.AVOID_TKI,
    FindingCode.PRIOR_FAILURE,
    FindingCode.DOSE_CHECK,
    FindingCode.SCT_REFERRAL,
    FindingCode.COMORBIDITY_CAUTION,
    FindingCode.MONITORING_DUE,
    FindingCode.TFR_ELIGIBLE,
    FindingCode.DATA_EXCLUDED,
    FindingCode.NOT_ASSESSABLE,
)
_RANK = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}
#: Where an adherence-only extrinsic-causes finding goes, in order of preference.
_ADHERENCE_HOSTS = (
    FindingCode.MILESTONE_FAILURE,
    FindingCode.MILESTONE_WARNING,
    FindingCode.MUTATION_TESTING,
    FindingCode.MONITORING_DUE,
)


def absorb(host: Finding, guest: Finding) -> Finding:
    """`host` with `guest` folded in: rules, data points, its brief line, and the rest in `absorbed`."""
    rule_ids = {rule.id for rule in host.rules}
    rules: tuple[RuleRef, ...] = host.rules + tuple(r for r in guest.rules if r.id not in rule_ids)
    seen = {(e.label, e.reference or e.value) for e in host.evidence}
    evidence = host.evidence + tuple(e for e in guest.evidence if (e.label, e.reference or e.value) not in seen)
    record: dict[str, Any] = {
        "code": guest.code.value,
        "summary": guest.summary,
        "rules": [rule.id for rule in guest.rules],
        "detail": list(guest.detail),
    }
    if guest.action:
        record["action"] = guest.action
    record.update({k: v for k, v in guest.extra.items() if k != "absorbed"})
    absorbed = [*host.extra.get("absorbed", []), *guest.extra.get("absorbed", []), record]
    severity = min(host.severity, guest.severity, key=lambda s: _RANK[s])
    reasons = tuple(dict.fromkeys(host.override_reasons + guest.override_reasons))
    return msgspec.structs.replace(
        host,
        severity=severity,
        rules=rules,
        evidence=evidence,
        detail=host.detail + ((guest.brief,) if guest.brief else ()),
        override_reasons=reasons,
        extra={**host.extra, "absorbed": absorbed},
    )


def _first(findings: list[Finding], *codes: FindingCode) -> int | None:
    for code in codes:
        for index, finding in enumerate(findings):
            if finding.code is code:
                return index
    return None


def _without_causes(finding: Finding, kinds: set[str]) -> tuple[Finding, Finding | None]:
    """`finding` (extrinsic-causes) without the causes of `kinds`, and those causes as a finding to fold."""
    causes: list[dict[str, Any]] = finding.extra.get("causes", [])
    removed = [c for c in causes if c["kind"] in kinds]
    if not removed:
        return finding, None
    kept = [c for c in causes if c["kind"] not in kinds]
    kept_rules = {rule_id for c in kept for rule_id in c["rules"]} | set(finding.extra.get("generalRules", []))
    removed_rules = {rule_id for c in removed for rule_id in c["rules"]} - kept_rules
    removed_lines = {c["text"] for c in removed}
    remaining = msgspec.structs.replace(
        finding,
        rules=tuple(r for r in finding.rules if r.id not in removed_rules),
        detail=tuple(line for line in finding.detail if line not in removed_lines),
        summary=extrinsic_summary(finding.extra.get("drug", ""), kept, finding.extra.get("problem")),
        severity=Severity.WARNING if any(c["kind"] in CONCRETE_CAUSES for c in kept) else Severity.INFO,
        extra={**finding.extra, "causes": kept},
    )
    part = msgspec.structs.replace(
        finding,
        rules=tuple(r for r in finding.rules if r.id in removed_rules),
        evidence=(),
        detail=tuple(c["text"] for c in removed),
        brief=" ".join(c["text"].removeprefix("- ") for c in removed),
        summary="; ".join(c["phrase"] for c in removed),
        action="",
        extra={"causes": removed},
    )
    return remaining, part


def _dose_to_dose_check(findings: list[Finding]) -> list[Finding]:
    """Rule 1: the dose-check card owns a dose below standard on the same medication record."""
    ext = _first(findings, FindingCode.EXTRINSIC_CAUSES)
    if ext is None:
        return findings
    dose_causes = [c for c in findings[ext].extra.get("causes", []) if c["kind"] == "dose-below-standard"]
    for index, finding in enumerate(findings):
        references = {e.reference for e in finding.evidence if e.reference}
        if finding.code is FindingCode.DOSE_CHECK and any(c.get("reference") in references for c in dose_causes):
            remaining, part = _without_causes(findings[ext], {"dose-below-standard"})
            out = list(findings)
            out[ext] = remaining
            out[index] = absorb(finding, part) if part is not None else finding
            return out
    return findings


def _fold_adherence_only(findings: list[Finding]) -> list[Finding]:
    """Rule 2: extrinsic-causes without a concrete cause joins the card about the response."""
    ext = _first(findings, FindingCode.EXTRINSIC_CAUSES)
    if ext is None or any(c["kind"] in CONCRETE_CAUSES for c in findings[ext].extra.get("causes", [])):
        return findings
    host = _first(findings, *_ADHERENCE_HOSTS)
    if host is None:
        return findings
    out = list(findings)
    out[host] = absorb(out[host], out[ext])
    del out[ext]
    return out


def _fold_phase_only_referral(findings: list[Finding]) -> list[Finding]:
    """Rule 3: a transplant referral resting only on the advanced phase joins the advanced-phase card."""
    sct = _first(findings, FindingCode.SCT_REFERRAL)
    phase = _first(findings, FindingCode.ADVANCED_PHASE)
    if sct is None or phase is None or findings[sct].extra.get("situations") != ["advanced-phase"]:
        return findings
    out = list(findings)
    out[phase] = absorb(out[phase], out[sct])
    del out[sct]
    return out


def _fold_tfr_into_pregnancy(findings: list[Finding]) -> list[Finding]:
    """Rule 5: the TFR discussion joins the pregnancy card (one card about stopping the TKI)."""
    tfr = _first(findings, FindingCode.TFR_ELIGIBLE)
    host = _first(findings, FindingCode.PREGNANCY)
    if tfr is None or host is None:
        return findings
    out = list(findings)
    out[host] = absorb(out[host], out[tfr])
    del out[tfr]
    return out


def _order(finding: Finding) -> tuple[int, int]:
    position = FRAMEWORK_ORDER.index(finding.code) if finding.code in FRAMEWORK_ORDER else len(FRAMEWORK_ORDER)
    return _RANK[finding.severity], position


def by_urgency(findings: list[Finding]) -> list[Finding]:
    """Rule 4 alone: critical, then warning, then info; within a level, framework order (stable)."""
    return sorted(findings, key=_order)


def consolidate(findings: list[Finding]) -> list[Finding]:
    """Fold the findings that repeat another (rules 1–3 and 5), then order them by urgency (rule 4)."""
    folded = _fold_phase_only_referral(_fold_adherence_only(_dose_to_dose_check(findings)))
    return by_urgency(_fold_tfr_into_pregnancy(folded))
