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
    "order-sign": [  # most urgent first across the drafts (critical, warning, info; then framework order)
        ("avoid-tki", "draft-nilotinib"),
        ("drug-interaction", "draft-nilotinib"),
        ("drug-interaction", "draft-omeprazole"),
        ("dose-check", "draft-asciminib"),
        # #23: asciminib's cardiovascular toxicity is a label warning now (a warning card, by draft order)
        ("comorbidity-caution", "draft-asciminib"),
        ("comorbidity-caution", "draft-nilotinib"),
        ("comorbidity-caution", "draft-ponatinib"),
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
