"""Rendering: unverified rules make the card say so; the detail's fixed shape; sources once; override reasons."""

from __future__ import annotations

from typing import TypedDict, Unpack

from cds_hooks.cards import render_card
from tki_resistance.findings import Evidence, Finding, FindingCode, RuleRef, Severity

VERIFIED = RuleRef("r.ok", "ELN 2020", "P1: ELN", True, "ok", label="ELN 2020 (Hochhaus et al., Leukemia 2020)")
UNVERIFIED = RuleRef("r.memory", "unverified", "M: memory", False, "from memory", label="as recalled")


class _Parts(TypedDict, total=False):
    """The `Finding` fields these tests set beyond code, severity, summary and rules."""

    evidence: tuple[Evidence, ...]
    detail: tuple[str, ...]
    avoid: tuple[str, ...]
    mutations: tuple[str, ...]
    override_reasons: tuple[str, ...]
    action: str


def _finding(*rules: RuleRef, **kw: Unpack[_Parts]) -> Finding:
    return Finding(FindingCode.AVOID_TKI, Severity.INFO, "T315I: avoid nilotinib", rules, **kw)


def _detail(finding: Finding) -> str:
    detail = render_card(finding, "p", "h", 0).detail
    assert detail is not None
    return detail


def test_unverified_rule_prints_the_banner_and_verified_does_not() -> None:
    assert "Unverified rule" in _detail(_finding(VERIFIED, UNVERIFIED))
    assert "Unverified rule" not in _detail(_finding(VERIFIED))


def test_extension_carries_sorted_avoid_and_mutations_and_verified_flag() -> None:
    card = render_card(_finding(VERIFIED, avoid=("nilotinib", "dasatinib"), mutations=("T315I",)), "p", "h", 0)
    assert card.extension is not None
    data = card.extension["org.cmlcds.finding"]
    assert data["avoid"] == ["dasatinib", "nilotinib"] and data["mutations"] == ["T315I"] and data["verified"]


def test_evidence_and_override_reasons_render() -> None:
    finding = _finding(
        VERIFIED,
        evidence=(Evidence("KD mutation", "T315I", "2026-01-02", "Observation/1"),),
        override_reasons=("Test already ordered",),
    )
    card = render_card(finding, "p", "h", 0)
    assert card.detail is not None
    assert "T315I (2026-01-02)" in card.detail and "`Observation/1`" in card.detail
    assert card.overrideReasons and card.overrideReasons[0].display == "Test already ordered"


def test_sources_are_named_once_with_their_version_and_unverified_ones_are_marked() -> None:
    again = RuleRef("r.ok2", "ELN 2020", "P1: ELN", True, "ok too", label=VERIFIED.label)
    detail = render_card(_finding(VERIFIED, again, UNVERIFIED), "p", "h", 0).detail or ""
    sources = detail.split("*Sources*: ", 1)[1]
    assert sources == "ELN 2020 (Hochhaus et al., Leukemia 2020); as recalled — unverified."
    assert "`r.ok`" not in detail  # rule ids live in the extension, not in the text a clinician reads


def test_extension_keeps_every_rule_and_data_point_the_detail_leaves_out() -> None:
    evidence = tuple(Evidence(f"Result {i}", f"{i}% IS", f"2026-01-{i + 1:02d}", f"Observation/{i}") for i in range(9))
    card = render_card(_finding(VERIFIED, UNVERIFIED, evidence=evidence), "p", "h", 0)
    assert card.extension is not None
    data = card.extension["org.cmlcds.finding"]
    assert [r["id"] for r in data["ruleDetails"]] == ["r.ok", "r.memory"]
    assert [r["verified"] for r in data["ruleDetails"]] == [True, False]
    assert len(data["data"]) == 9 and data["data"][8]["reference"] == "Observation/8"
    assert "`Observation/8`" not in (card.detail or "") and "3 more data points" in (card.detail or "")


def test_detail_reads_why_then_data_then_what_to_do_then_sources() -> None:
    finding = _finding(
        VERIFIED, detail=("Why it matters.",), evidence=(Evidence("KD mutation", "T315I"),), action="Do this."
    )
    detail = render_card(finding, "p", "h", 0).detail or ""
    positions = [detail.index(part) for part in ("Why it matters.", "**Data used**", "**What to do**", "*Sources*")]
    assert positions == sorted(positions)


def test_source_label_names_guideline_and_year_not_the_service() -> None:
    card = render_card(_finding(VERIFIED), "p", "h", 0)
    assert card.source.label == "ELN 2020 (Hochhaus et al., Leukemia 2020)"


def test_a_summary_too_long_ends_at_a_clause_never_with_an_ellipsis() -> None:
    long = "Avoid nilotinib: " + ", ".join(f"a very long condition name number {i}" for i in range(8))
    summary = render_card(_finding(VERIFIED), "p", "h", 0).summary
    assert summary == "T315I: avoid nilotinib"
    card = render_card(Finding(FindingCode.AVOID_TKI, Severity.INFO, long, (VERIFIED,)), "p", "h", 0)
    assert len(card.summary) < 140 and not card.summary.endswith("…") and long.startswith(card.summary)
