"""The README's ordering examples (examples/order-*.json) give the cards the README shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.order_builders import URLS, finding

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXPECTED = {
    "order-select": [
        ("dose-check", "draft-asciminib"),
        ("comorbidity-caution", "draft-asciminib"),
    ],
    "order-sign": [
        ("dose-check", "draft-asciminib"),
        ("comorbidity-caution", "draft-asciminib"),
        ("avoid-tki", "draft-nilotinib"),
        ("drug-interaction", "draft-nilotinib"),
        ("comorbidity-caution", "draft-nilotinib"),
        ("comorbidity-caution", "draft-ponatinib"),
        ("drug-interaction", "draft-omeprazole"),
    ],
}


@pytest.mark.parametrize("hook", sorted(EXPECTED))
def test_the_readme_example_gives_the_cards_shown(client: TestClient, hook: str) -> None:
    request = json.loads((EXAMPLES / f"{hook}.json").read_text(encoding="utf-8"))
    response = client.post(URLS[hook], json=request)
    assert response.status_code == 200, response.text
    cards = [
        (finding(c)["code"], finding(c)["order"].removeprefix("MedicationRequest/")) for c in response.json()["cards"]
    ]
    assert cards == EXPECTED[hook]
