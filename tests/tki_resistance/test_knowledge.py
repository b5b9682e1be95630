from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tki_resistance.knowledge.loader import KNOWLEDGE_DIR, KnowledgeError, load_knowledge
from tki_resistance.knowledge.markdown import render_knowledge

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
