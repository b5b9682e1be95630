"""Over the whole course set of bench/courses.py (the vignettes and everyday courses), end to end: every
summary fits without "…", cards come critical → warning → info, quiet courses give no card, the burden stays
at the issue #11 target, and consolidation loses nothing (every rule, data point and detail line of every
stage's finding is still on a card or in its extension)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from bench.courses import COURSES, TODAY, Course
from cds_hooks.cards import render_cards
from fhir_mapping import build_snapshot
from tki_resistance.consolidation import FRAMEWORK_ORDER
from tki_resistance.findings import FindingCode
from tki_resistance.knowledge.loader import default_knowledge
from tki_resistance.pipeline import assess, assess_stages

URL = "/cds-services/cml-tki-resistance"
_RANK = {"critical": 0, "warning": 1, "info": 2}


def _call(client: TestClient, course: Course) -> list[dict[str, Any]]:
    response = client.post(URL, json=course.request)
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


def _code(card: dict[str, Any]) -> str:
    code: str = card["extension"]["org.cmlcds.finding"]["code"]
    return code


@pytest.mark.parametrize("course", COURSES, ids=lambda c: c.name)
def test_summaries_fit_and_cards_come_by_urgency_then_framework_order(client: TestClient, course: Course) -> None:
    cards = _call(client, course)
    for card in cards:
        assert len(card["summary"]) < 140 and "…" not in card["summary"], card["summary"]
        assert card["detail"].count("*Sources*") == 1 and card["detail"].rstrip().endswith(".")
        assert card["source"]["label"] and "cml-cds ·" not in card["source"]["label"]
    keys = [(_RANK[c["indicator"]], FRAMEWORK_ORDER.index(FindingCode(_code(c)))) for c in cards]
    assert keys == sorted(keys)
    assert len({_code(c) for c in cards if _code(c) != "comorbidity-caution"}) == len(
        [c for c in cards if _code(c) != "comorbidity-caution"]
    )  # one card per code (comorbidity: one per TKI in use)


@pytest.mark.parametrize("course", [c for c in COURSES if c.quiet], ids=lambda c: c.name)
def test_a_course_with_nothing_to_act_on_gives_no_card(client: TestClient, course: Course) -> None:
    assert _call(client, course) == []


def test_alert_burden_meets_the_target(client: TestClient) -> None:
    everyday = [len(_call(client, c)) for c in COURSES if not c.vignette]
    assert sum(everyday) / len(everyday) <= 1.8


def _reachable(cards: list[dict[str, Any]]) -> tuple[set[str], set[tuple[str, str]], str, set[str]]:
    rules: set[str] = set()
    data: set[tuple[str, str]] = set()
    text = ""
    codes: set[str] = set()
    for card in cards:
        finding = card["extension"]["org.cmlcds.finding"]
        rules |= set(finding["rules"])
        data |= {(d["label"], d["value"]) for d in finding["data"]}
        text += card["detail"] + "\n" + card["summary"] + "\n"
        codes.add(finding["code"])
        for absorbed in finding.get("absorbed", []):
            rules |= set(absorbed["rules"])
            text += "\n".join(absorbed["detail"]) + "\n"
            codes.add(absorbed["code"])
    return rules, data, text, codes


@pytest.mark.parametrize("course", COURSES, ids=lambda c: c.name)
def test_consolidation_loses_no_rule_data_point_or_detail_line(course: Course) -> None:
    knowledge = default_knowledge()
    patient = course.request["context"]["patientId"]
    snapshot = build_snapshot(patient, course.request["prefetch"], TODAY)
    before = assess_stages(snapshot, knowledge)
    cards = [c.model_dump(exclude_none=True) for c in render_cards(assess(snapshot, knowledge), patient, "h")]
    rules, data, text, codes = _reachable(cards)
    for finding in before:
        assert finding.code.value in codes
        assert {r.id for r in finding.rules} <= rules, finding.code
        assert {(e.label, e.value) for e in finding.evidence} <= data, finding.code
        for line in finding.detail:
            assert line in text, (finding.code, line)
