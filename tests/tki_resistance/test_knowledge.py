from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tki_resistance.knowledge.loader import KNOWLEDGE_DIR, KnowledgeError, load_knowledge
from tki_resistance.knowledge.markdown import render_knowledge
from tki_resistance.model import TKIS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "knowledge.md"


def test_bundled_knowledge_loads_with_a_version() -> None:
    knowledge = load_knowledge()
    assert knowledge.version.startswith(knowledge.version.split("+")[0] + "+")
    assert knowledge.milestones


def test_docs_knowledge_md_is_current() -> None:
    assert DOCS.read_text() == render_knowledge(load_knowledge()), "run `make knowledge` and commit docs/knowledge.md"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


def test_unknown_source_key_stops_loading(copy: Path) -> None:
    path = copy / "milestones.toml"
    path.write_text(path.read_text().replace('source = "P1"', 'source = "NOPE"', 1))
    with pytest.raises(KnowledgeError, match="unknown source 'NOPE'"):
        load_knowledge(copy)


def test_malformed_row_stops_loading_with_the_row_named(copy: Path) -> None:
    path = copy / "milestones.toml"
    path.write_text(path.read_text().replace('response = "optimal"', 'response = "great"', 1))
    with pytest.raises(KnowledgeError, match=r"milestones.toml: \[\[milestone\]\] row 1: response"):
        load_knowledge(copy)


def test_duplicate_rule_id_stops_loading(copy: Path) -> None:
    path = copy / "milestones.toml"
    path.write_text(path.read_text().replace('id = "eln2020.m3.warning"', 'id = "eln2020.m3.optimal"'))
    with pytest.raises(KnowledgeError, match="already used"):
        load_knowledge(copy)


def test_invalid_toml_stops_loading(copy: Path) -> None:
    (copy / "milestones.toml").write_text("[[milestone]\n")
    with pytest.raises(KnowledgeError, match="not valid TOML"):
        load_knowledge(copy)


def _drop_indication(path: Path, tki: str) -> None:
    head, *rows = path.read_text().split("[[indication]]\n")
    kept = [row for row in rows if f'tki = "{tki}"\n' not in row]
    assert len(kept) == len(rows) - 1
    path.write_text("[[indication]]\n".join([head, *kept]))


def test_indications_table_missing_a_tki_stops_loading(copy: Path) -> None:
    _drop_indication(copy / "indications.toml", "asciminib")
    with pytest.raises(KnowledgeError, match="no indication row for asciminib"):
        load_knowledge(copy)


def test_indications_table_with_a_tki_twice_stops_loading(copy: Path) -> None:
    path = copy / "indications.toml"
    path.write_text(path.read_text().replace('tki = "asciminib"', 'tki = "ponatinib"'))
    with pytest.raises(KnowledgeError, match="second row for 'ponatinib'"):
        load_knowledge(copy)


def test_one_indication_row_per_tki() -> None:
    knowledge = load_knowledge()
    assert sorted(row.tki for row in knowledge.indications) == sorted(TKIS)
    assert all(row.id == f"indication.{row.tki}" for row in knowledge.indications)


@pytest.mark.parametrize(
    ("tki", "phases"),
    [
        ("imatinib", {"chronic", "accelerated", "blast"}),
        ("dasatinib", {"chronic", "accelerated", "blast"}),
        ("nilotinib", {"chronic", "accelerated"}),
        ("bosutinib", {"chronic", "accelerated", "blast"}),
        ("ponatinib", {"chronic", "accelerated", "blast"}),
        ("asciminib", {"chronic"}),
    ],
)
def test_approved_phases(tki: str, phases: set[str]) -> None:
    assert load_knowledge().approved_phases(tki) == frozenset(phases)


def test_approved_phases_of_an_unknown_tki_is_empty() -> None:
    assert load_knowledge().approved_phases("radotinib") == frozenset()


def _dose_id(tki: str, phase: str, line: str, situation: str = "standard") -> str | None:
    row = load_knowledge().dose_for(tki, situation, phase, line)
    return None if row is None else row.id


def test_dose_for_nilotinib_in_blast_phase_is_none() -> None:
    """Nilotinib is not approved in blast phase: its accelerated-phase row must not cover it."""
    assert _dose_id("nilotinib", "blast", "first") is None
    assert _dose_id("nilotinib", "blast", "later") is None
    assert _dose_id("nilotinib", "accelerated", "later") == "dose.nilotinib.any.accelerated"


def test_dose_for_dasatinib_in_accelerated_phase_is_140_mg() -> None:
    row = load_knowledge().dose_for("dasatinib", "standard", "accelerated", "first")
    assert row is not None and row.id == "dose.dasatinib.any.advanced" and row.daily_mg == 140


@pytest.mark.parametrize(
    ("tki", "phase", "line", "expected"),
    [
        ("imatinib", "chronic", "first", "dose.imatinib.first.chronic"),
        ("imatinib", "chronic", "later", "dose.imatinib.later.chronic"),
        ("imatinib", "blast", "first", "dose.imatinib.any.advanced"),
        ("dasatinib", "blast", "later", "dose.dasatinib.any.advanced"),
        ("nilotinib", "chronic", "first", "dose.nilotinib.first.chronic"),
        ("bosutinib", "accelerated", "later", "dose.bosutinib.any.advanced"),
        # no first-line ponatinib row: the later-line row of the phase
        ("ponatinib", "chronic", "first", "dose.ponatinib.later.chronic"),
        ("ponatinib", "blast", "first", "dose.ponatinib.any.advanced"),
        ("asciminib", "chronic", "later", "dose.asciminib.later.chronic"),
        ("asciminib", "accelerated", "later", None),
    ],
)
def test_dose_for_standard_doses(tki: str, phase: str, line: str, expected: str | None) -> None:
    assert _dose_id(tki, phase, line) == expected


def test_dose_for_a_situation_row_of_any_phase() -> None:
    assert _dose_id("asciminib", "chronic", "later", "t315i") == "dose.asciminib.t315i"
    assert _dose_id("bosutinib", "accelerated", "later", "hepatic-impairment") == "dose.bosutinib.hepatic-impairment"


def test_dose_for_refuses_a_phase_or_line_it_does_not_know() -> None:
    knowledge = load_knowledge()
    with pytest.raises(ValueError, match="phase 'advanced'"):
        knowledge.dose_for("dasatinib", "standard", "advanced", "first")
    with pytest.raises(ValueError, match="line 'any'"):
        knowledge.dose_for("dasatinib", "standard", "chronic", "any")


def test_every_interaction_row_says_which_way_it_moves_exposure() -> None:
    rows = load_knowledge().interactions
    assert rows and all(row.exposure in ("lowers", "raises", "other") for row in rows)
    by_id = {row.id: row.exposure for row in rows}
    assert by_id["ddi.dasatinib.proton-pump-inhibitor"] == "lowers"
    assert by_id["ddi.nilotinib.strong-cyp3a4-inhibitor"] == "raises"
    assert by_id["ddi.nilotinib.qt-prolonging"] == "other"


def test_interaction_row_without_exposure_stops_loading(copy: Path) -> None:
    path = copy / "interactions.toml"
    path.write_text(path.read_text().replace('exposure = "raises"\n', "", 1))
    with pytest.raises(KnowledgeError, match=r"interactions.toml: \[\[interaction\]\] row 1: exposure"):
        load_knowledge(copy)


def test_new_course_window_failure_and_sct_rows() -> None:
    knowledge = load_knowledge()
    discordant = knowledge.course_rule("discordant-results")
    assert discordant is not None and discordant.id == "course.discordant-results"
    assert (discordant.days, discordant.log_difference, discordant.thresholds) == (14, 1.0, [10.0, 1.0, 0.1])
    recorded = knowledge.course_rule("recorded-phase-response")
    assert recorded is not None and recorded.id == "course.recorded-phase-response" and recorded.percent == 1.0
    [window] = [w for w in knowledge.evidence_windows if w.evidence == "recorded-phase"]
    assert (window.id, window.max_age_days) == ("window.recorded-phase", 365)
    [baseline] = [r for r in knowledge.any_time_failure if r.criterion == "high-risk-aca-baseline"]
    assert (baseline.when, baseline.response) == ("at-diagnosis", "warning")
    [on_treatment] = [r for r in knowledge.any_time_failure if r.criterion == "high-risk-aca"]
    assert (on_treatment.when, on_treatment.response) == ("on-treatment", "failure")
    assert baseline.abnormalities == on_treatment.abnormalities
    assert "advanced-history-response-lost" in {row.situation for row in knowledge.sct_referral}
