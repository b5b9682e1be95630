"""The README's "Try it" table is what the service answers for examples/patient-view.json (as of TODAY)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]


def _readme_rows() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Try it\n", 1)[1].split("\n## ", 1)[0]
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^\| (info|warning|critical) \| (.+) \|$", section, re.M)]


def test_the_readme_shows_the_cards_the_example_gets(client: TestClient) -> None:
    request = json.loads((ROOT / "examples" / "patient-view.json").read_text(encoding="utf-8"))
    response = client.post("/cds-services/cml-tki-resistance", json=request)
    assert response.status_code == 200
    cards = [(card["indicator"], card["summary"]) for card in response.json()["cards"]]
    assert _readme_rows() == cards
