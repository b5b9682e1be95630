from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from cds_hooks.models import Feedback
from cds_hooks.storage import Database
from cds_hooks.storage.feedback import FeedbackStore
from tests.storage.conftest import OpenStorage

SERVICE = "cml-tki-resistance"


def _items(n: int, outcome: str = "overridden") -> list[Feedback]:
    return [
        Feedback.model_validate(
            {
                "card": f"card-{i}",
                "outcome": outcome,
                "outcomeTimestamp": f"2026-11-{10 + i % 10:02d}T10:00:00Z",
                **({"acceptedSuggestions": [{"id": "s1"}]} if outcome == "accepted" else {}),
                **({"overrideReason": {"reason": {"code": "r", "system": "x"}}} if outcome == "overridden" else {}),
            }
        )
        for i in range(n)
    ]


def test_feedback_is_stored_once_however_often_it_is_sent(database: Database) -> None:
    store = FeedbackStore(database)
    assert store.add(SERVICE, _items(3)) == (3, 0)
    assert store.add(SERVICE, _items(4)) == (1, 3)
    rows = store.all(SERVICE)
    assert [r["card"] for r in rows] == ["card-0", "card-1", "card-2", "card-3"]
    assert rows[0]["overrideReason"] == {"reason": {"code": "r", "system": "x"}}
    assert store.all("another-service") == []


def test_the_same_item_from_two_replicas_at_once_is_stored_exactly_once(open_storage: OpenStorage) -> None:
    replicas = [FeedbackStore(open_storage()), FeedbackStore(open_storage())]
    items = _items(20, "accepted")

    def send(n: int) -> tuple[int, int]:
        return replicas[n % 2].add(SERVICE, items)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(send, range(16)))
    assert sum(stored for stored, _ in results) == 20
    assert sum(duplicates for _, duplicates in results) == 16 * 20 - 20
    assert sorted(r["card"] for r in replicas[0].all()) == sorted(f"card-{i}" for i in range(20))


def test_since_compares_with_the_outcome_timestamp(database: Database) -> None:
    store = FeedbackStore(database)
    store.add(SERVICE, _items(10))
    later = store.all(since="2026-11-15")
    assert sorted(r["outcomeTimestamp"][:10] for r in later) == [f"2026-11-{d}" for d in range(15, 20)]
