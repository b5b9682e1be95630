"""Rendering: unverified rules make the card say so; critical only for conflicts; override reasons present."""

from __future__ import annotations

from cds_hooks.cards import render_card
from tki_resistance.findings import Evidence, Finding, FindingCode, RuleRef, Severity

VERIFIED = RuleRef("r.ok", "ELN 2020", "P1: ELN", True, "ok")
UNVERIFIED = RuleRef("r.memory", "unverified", "M: memory", False, "from memory")


def _finding(*rules: RuleRef, **kw: object) -> Finding:
    return Finding(FindingCode.AVOID_TKI, Severity.INFO, "T315I: avoid nilotinib", rules, **kw)  # type: ignore[arg-type]


def test_unverified_rule_prints_the_banner_and_verified_does_not() -> None:
    assert "Unverified rule" in render_card(_finding(VERIFIED, UNVERIFIED), "p", "h", 0).detail
    assert "Unverified rule" not in render_card(_finding(VERIFIED), "p", "h", 0).detail


def test_extension_carries_sorted_avoid_and_mutations_and_verified_flag() -> None:
    card = render_card(_finding(VERIFIED, avoid=("nilotinib", "dasatinib"), mutations=("T315I",)), "p", "h", 0)
    data = card.extension["org.cmlcds.finding"]  # type: ignore[index]
    assert data["avoid"] == ["dasatinib", "nilotinib"] and data["mutations"] == ["T315I"] and data["verified"]


def test_evidence_and_override_reasons_render() -> None:
    finding = _finding(
        VERIFIED,
        evidence=(Evidence("KD mutation", "T315I", "2026-01-02", "Observation/1"),),
        override_reasons=("Test already ordered",),
    )
    card = render_card(finding, "p", "h", 0)
    assert "T315I (2026-01-02)" in card.detail and "`Observation/1`" in card.detail
    assert card.overrideReasons and card.overrideReasons[0].display == "Test already ordered"


def test_each_rule_line_says_whether_it_is_verified() -> None:
    detail = render_card(_finding(VERIFIED, UNVERIFIED), "p", "h", 0).detail or ""
    assert "- `r.ok` (ELN 2020, verified): P1: ELN" in detail
    assert "- `r.memory` (**UNVERIFIED**: not yet checked against its source): M: memory" in detail
