"""consolidation: adherence-only extrinsic causes fold into the milestone card; a concrete cause stands alone;
the dose-check card owns a dose below standard; a phase-only referral folds into advanced-phase; order."""

from __future__ import annotations

from typing import Any

from tki_resistance.consolidation import absorb, consolidate
from tki_resistance.findings import Evidence, Finding, FindingCode, RuleRef, Severity

RULE = {name: RuleRef(name, "G", "S: s", True, "") for name in ("m", "a", "i", "d", "dc", "std", "p", "s", "t")}
TKI = Evidence("Current TKI", "dasatinib 50 mg/day", "2026-01-01", "MedicationStatement/1")


def _cause(kind: str, rules: list[str], reference: str | None = None) -> dict[str, Any]:
    return {"kind": kind, "phrase": kind, "text": f"- {kind} line", "rules": rules} | (
        {"reference": reference} if reference else {}
    )


def _extrinsic(*causes: dict[str, Any]) -> Finding:
    concrete = any(c["kind"] != "adherence" for c in causes)
    return Finding(
        FindingCode.EXTRINSIC_CAUSES,
        Severity.WARNING if concrete else Severity.INFO,
        "Rule out …",
        tuple(RULE[r] for r in ["a", *(r for c in causes for r in c["rules"])]),
        evidence=(TKI,),
        detail=("Before calling resistance:", *(c["text"] for c in causes)),
        brief="Ask about adherence.",
        extra={"causes": list(causes), "drug": "dasatinib", "problem": "ELN 2020 warning", "generalRules": ["a"]},
    )


MILESTONE = Finding(FindingCode.MILESTONE_WARNING, Severity.WARNING, "Consider changing …", (RULE["m"],), (TKI,))
TESTING = Finding(FindingCode.MUTATION_TESTING, Severity.WARNING, "Order …", (RULE["t"],))


def _codes(findings: list[Finding]) -> list[str]:
    return [f.code.value for f in findings]


def test_adherence_only_folds_into_the_milestone_card_with_its_rules_and_brief() -> None:
    [milestone, testing] = consolidate([MILESTONE, _extrinsic(_cause("adherence", [])), TESTING])
    assert milestone.code is FindingCode.MILESTONE_WARNING and testing is TESTING
    assert [r.id for r in milestone.rules] == ["m", "a"] and milestone.detail[-1] == "Ask about adherence."
    assert milestone.extra["absorbed"][0]["code"] == "extrinsic-causes"
    assert milestone.evidence == (TKI,)  # the same record is not listed twice


def test_adherence_only_without_a_milestone_card_goes_to_mutation_testing() -> None:
    assert _codes(consolidate([_extrinsic(_cause("adherence", [])), TESTING])) == ["mutation-testing"]


def test_a_concrete_cause_stands_alone() -> None:
    for kind in ("interaction", "dose-below-standard", "interruption"):
        found = consolidate([MILESTONE, _extrinsic(_cause(kind, ["i"]), _cause("adherence", []))])
        assert _codes(found) == ["milestone-warning", "extrinsic-causes"]


def test_dose_check_owns_the_dose_below_standard_of_the_same_record() -> None:
    dose = _cause("dose-below-standard", ["dc", "std"], reference="MedicationStatement/1")
    check = Finding(FindingCode.DOSE_CHECK, Severity.WARNING, "Raise …", (RULE["d"],), (TKI,))
    found = consolidate([MILESTONE, _extrinsic(dose, _cause("adherence", [])), check])
    assert _codes(found) == ["milestone-warning", "dose-check"]  # nothing concrete left: adherence folds
    [milestone, dose_check] = found
    assert {"dc", "std"} <= {r.id for r in dose_check.rules} and "dose-below-standard line" in dose_check.detail[-1]
    assert {"dc", "std"}.isdisjoint(r.id for r in milestone.rules)


def test_dose_check_on_another_record_leaves_the_dose_cause_alone() -> None:
    dose = _cause("dose-below-standard", ["dc"], reference="MedicationStatement/9")
    check = Finding(FindingCode.DOSE_CHECK, Severity.WARNING, "Raise …", (RULE["d"],), (TKI,))
    assert "extrinsic-causes" in _codes(consolidate([MILESTONE, _extrinsic(dose), check]))


def _sct(*situations: str) -> Finding:
    return Finding(
        FindingCode.SCT_REFERRAL, Severity.CRITICAL, "Refer …", (RULE["s"],), brief="Allo-SCT.",
        extra={"situations": list(situations)},
    )  # fmt: skip


PHASE = Finding(FindingCode.ADVANCED_PHASE, Severity.CRITICAL, "Treat as blast phase …", (RULE["p"],))


def test_a_referral_resting_only_on_the_phase_folds_into_advanced_phase() -> None:
    [phase] = consolidate([PHASE, _sct("advanced-phase")])
    assert phase.extra["absorbed"][0]["situations"] == ["advanced-phase"] and "s" in {r.id for r in phase.rules}


def test_a_referral_with_another_reason_stays_its_own_card() -> None:
    assert _codes(consolidate([PHASE, _sct("compound-resistant", "advanced-phase")])) == [
        "advanced-phase",
        "sct-referral",
    ]


def test_order_is_critical_warning_info_then_the_framework() -> None:
    info = Finding(FindingCode.MONITORING_DUE, Severity.INFO, "Order qPCR …", (RULE["t"],))
    avoid = Finding(FindingCode.AVOID_TKI, Severity.CRITICAL, "Switch …", (RULE["i"],))
    assert _codes(consolidate([info, TESTING, MILESTONE, avoid])) == [
        "avoid-tki",
        "milestone-warning",
        "mutation-testing",
        "monitoring-due",
    ]


def test_absorb_takes_the_more_urgent_indicator() -> None:
    assert absorb(TESTING, PHASE).severity is Severity.CRITICAL
