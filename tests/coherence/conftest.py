"""Every call the coherence rules judge, made once per test session through the real app.

Per course: the patient-view cards, the cards for the same request with its Bundles shuffled, and for
each TKI a card offers as an option, the order-select cards for a draft of it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bench.courses import COURSES
from cds_hooks.app import create_app
from cds_hooks.settings import Settings
from tests.builders import TODAY, medication_request
from tests.coherence.checker import options, shuffled
from tests.coherence.corpus import generate

PATIENT_VIEW = "/cds-services/cml-tki-resistance"
ORDER_SELECT = "/cds-services/cml-tki-order-select"
#: How many courses the generator makes for the suite (seed 22).
CORPUS_SIZE = 2000

Cards = list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Call:
    """One course's calls and what the checker needs to judge them."""

    name: str
    story: str
    request: dict[str, Any]
    cards: Cards
    reshuffled: Cards
    orders: dict[str, Cards] = field(default_factory=dict)
    below_standard: bool | None = None


def _cards(client: TestClient, url: str, request: dict[str, Any]) -> Cards:
    response = client.post(url, json=request)
    assert response.status_code == 200, response.text
    cards: Cards = response.json()["cards"]
    return cards


def order_select(request: dict[str, Any], drug: str) -> dict[str, Any]:
    """The patient-view request as an order-select call drafting `drug`."""
    draft = medication_request(drug, TODAY, status="draft", ident="coherence-draft")
    context = {
        **request["context"],
        "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": draft}]},
        "selections": ["MedicationRequest/coherence-draft"],
    }
    return {**request, "hook": "order-select", "context": context}


def _call(
    client: TestClient, rng: random.Random, name: str, story: str, request: dict[str, Any], below: bool | None
) -> Call:

    cards = _cards(client, PATIENT_VIEW, request)
    reshuffled = _cards(client, PATIENT_VIEW, shuffled(request, rng))
    offered = sorted({tki for card in cards for tki in options(card)})
    orders = {tki: _cards(client, ORDER_SELECT, order_select(request, tki)) for tki in offered}
    return Call(name, story, request, cards, reshuffled, orders, below)


@pytest.fixture(scope="session")
def coherence_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(database_path=tmp_path_factory.mktemp("coherence") / "cml-cds.sqlite3")
    with TestClient(create_app(settings, today=lambda: TODAY)) as client:
        yield client


@pytest.fixture(scope="session")
def calls(coherence_client: TestClient) -> dict[str, list[Call]]:
    """`courses`: bench.courses.COURSES; `generated`: the seeded corpus."""
    rng = random.Random(22)  # noqa: S311 - a reproducible shuffle, not a secret
    return {
        "courses": [_call(coherence_client, rng, c.name, c.name, c.request, None) for c in COURSES],
        "generated": [
            _call(coherence_client, rng, c.name, c.truth.story, c.request, c.truth.below_standard)
            for c in generate(CORPUS_SIZE)
        ],
    }
