from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from cds_hooks.app import create_app
from cds_hooks.settings import Settings
from cds_hooks.storage.feedback import FeedbackStore
from tests.builders import TODAY

URL = "/cds-services/cml-tki-resistance/feedback"


def _accepted(card: str = "c3e3b5a2-1d59-4f76-9d5e-6a0a5f7f3d10") -> dict[str, Any]:
    return {
        "feedback": [
            {
                "card": card,
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
                "outcomeTimestamp": "2026-11-22T10:05:31Z",
            }
        ]
    }


def _overridden() -> dict[str, Any]:
    return {
        "feedback": [
            {
                "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
                "outcome": "overridden",
                "overrideReason": {
                    "reason": {
                        "code": "test-already-ordered",
                        "system": "https://cml-cds.org",
                        "display": "x",
                    },
                    "userComment": "ordered last week",
                },
                "outcomeTimestamp": "2026-11-22T00:00:00Z",
            }
        ]
    }


def test_feedback_is_stored_once_and_survives_a_restart(settings: Settings) -> None:
    with TestClient(create_app(settings, today=lambda: TODAY)) as client:
        first = client.post(URL, json=_accepted())
        again = client.post(URL, json=_accepted())
        other = client.post(URL, json=_overridden())
    assert first.status_code == 200 and first.json() == {"stored": 1, "duplicates": 0}
    assert again.json() == {"stored": 0, "duplicates": 1}
    assert other.json() == {"stored": 1, "duplicates": 0}

    with TestClient(create_app(settings, today=lambda: TODAY)) as restarted:
        restarted.post(URL, json=_accepted())
    stored = FeedbackStore(settings.database_path).all("cml-tki-resistance")
    assert [(s["card"], s["outcome"]) for s in stored] == [
        ("c3e3b5a2-1d59-4f76-9d5e-6a0a5f7f3d10", "accepted"),
        ("9368d37b-283f-44a0-93ea-547cebab93ed", "overridden"),
    ]
    assert stored[1]["overrideReason"]["userComment"] == "ordered last week"


@pytest.mark.parametrize(
    "body",
    [
        {"feedback": []},
        {"feedback": [{"card": "x", "outcome": "maybe", "outcomeTimestamp": "2026-11-22T00:00:00Z"}]},
        {"feedback": [{"card": "x", "outcome": "accepted", "outcomeTimestamp": "2026-11-22T00:00:00Z"}]},
        {"feedback": [{"outcome": "overridden", "outcomeTimestamp": "2026-11-22T00:00:00Z"}]},
        {"nothing": 1},
    ],
    ids=["empty", "bad-outcome", "accepted-without-suggestions", "no-card", "not-feedback"],
)
def test_invalid_feedback_is_400_and_stores_nothing(client: TestClient, settings: Settings, body: Any) -> None:
    response = client.post(URL, json=body)
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert FeedbackStore(settings.database_path).all() == []


def test_feedback_for_an_unknown_service_is_404(client: TestClient) -> None:
    assert client.post("/cds-services/nope/feedback", json=_accepted()).status_code == 404


def test_a_bad_batch_does_not_lose_what_was_stored(client: TestClient, settings: Settings) -> None:
    client.post(URL, json=_accepted())
    client.post(URL, content=b"{broken", headers={"content-type": "application/json"})
    assert len(FeedbackStore(settings.database_path).all()) == 1
