"""The transcript courses end to end through the hook (issue #23, items 2 and 6): bench/transcript_courses.py.

An e1a2 patient sent correctly as a non-IS ratio is followed on the transcript's own scale: no "no measurable
result", no "IS qPCR overdue", no excluded records; a ≥1-log rise asks for mutation testing; detectable again
asks for a repeat; with no quantitative result, marrow cytogenetics. A CML patient with no TKI on record whose
results fell by a log gets one card: the TKI is missing from the medication list.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from bench.transcript_courses import transcript_courses

URL = "/cds-services/cml-tki-resistance"
COURSES = dict(transcript_courses())


def _cards(client: TestClient, prefix: str) -> list[dict[str, Any]]:
    [name] = [n for n in COURSES if n.startswith(prefix + " ")]
    response = client.post(URL, json=COURSES[name])
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


def _codes(cards: list[dict[str, Any]]) -> list[str]:
    return [card["extension"]["org.cmlcds.finding"]["code"] for card in cards]


def test_e1a2_on_its_own_scale_gets_one_card_with_its_trend_and_nothing_overdue(client: TestClient) -> None:
    [card] = _cards(client, "T1")
    assert _codes([card]) == ["not-assessable"]
    assert "e1a2 on its own scale" in card["summary"] and "3.0-log reduction" in card["summary"]
    assert "No measurable result" not in card["detail"] and "Not rising" in card["detail"]


def test_e1a2_with_a_one_log_rise_asks_for_mutation_testing_and_says_why_not_is(client: TestClient) -> None:
    cards = _cards(client, "T2")
    assert _codes(cards) == ["mutation-testing", "not-assessable"]
    testing = cards[0]
    assert testing["indicator"] == "warning" and "0.4% e1a2 (own scale)" in testing["summary"]
    assert "IS milestones cannot be used" in testing["detail"]
    assert testing["suggestions"][0]["actions"][0]["resource"]["resourceType"] == "ServiceRequest"
    assert "kdtest.own-scale-log-rise" in testing["extension"]["org.cmlcds.finding"]["rules"]


def test_e1a2_detectable_again_asks_for_a_repeat_of_its_own_assay(client: TestClient) -> None:
    cards = _cards(client, "T3")
    assert sorted(_codes(cards)) == ["monitoring-due", "not-assessable"]
    [repeat] = [c for c in cards if _codes([c]) == ["monitoring-due"]]
    assert "Repeat e1a2-specific BCR::ABL1 assay by" in repeat["summary"] and "IS qPCR" not in repeat["summary"]


def test_no_quantitative_result_says_marrow_cytogenetics_and_asks_for_no_is_qpcr(client: TestClient) -> None:
    [card] = _cards(client, "T4")
    assert "marrow cytogenetics" in card["summary"] and "ELN 2020 allows" in card["detail"]


def test_no_tki_recorded_but_falling_results_is_one_card_saying_the_tki_is_missing(client: TestClient) -> None:
    [card] = _cards(client, "T5")
    finding = card["extension"]["org.cmlcds.finding"]
    assert card["indicator"] == "info" and finding["code"] == "not-assessable" and finding["state"] == "tki-missing"
    assert "Record the TKI" in card["summary"] and "No TKI yet" not in card["summary"]
    assert "milestones" in card["detail"] and finding["verified"] is False


@pytest.mark.parametrize("name", sorted(COURSES))
def test_no_transcript_course_excludes_a_record(client: TestClient, name: str) -> None:
    cards = client.post(URL, json=COURSES[name]).json()["cards"]
    assert "data-excluded" not in _codes(cards)
