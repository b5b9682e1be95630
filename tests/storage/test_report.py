from __future__ import annotations

from cds_hooks.audit import AuditRecord
from cds_hooks.models import Feedback
from cds_hooks.report import UNMATCHED, build_report, render_report
from cds_hooks.storage import Database
from cds_hooks.storage.audit import AuditStore
from cds_hooks.storage.feedback import FeedbackStore


def _call(n: int, cards: tuple[tuple[str, str], ...], status: int = 200) -> AuditRecord:
    return AuditRecord(
        service_id="cml-tki-resistance",
        status_code=status,
        latency_ms=1.0,
        hook_instance=f"h{n}",
        issuer=None,
        patient_pseudonym=None,
        finding_codes=tuple(code for _, code in cards),
        knowledge_version="k",
        cards=cards,
    )


def _feedback(card: str, outcome: str, reason: str | None = None) -> Feedback:
    body: dict[str, object] = {"card": card, "outcome": outcome, "outcomeTimestamp": f"2026-11-20T10:00:{card[-1]}0Z"}
    if outcome == "accepted":
        body["acceptedSuggestions"] = [{"id": "order"}]
    if reason:
        body["overrideReason"] = {"reason": {"code": reason, "display": reason.title()}, "userComment": "Mrs X"}
    return Feedback.model_validate(body)


def test_report_counts_shown_accepted_overridden_per_finding_code(database: Database) -> None:
    audit, feedback = AuditStore(database), FeedbackStore(database)
    audit.add_many(
        [
            _call(1, (("u1", "milestone-failure"), ("u2", "mutation-testing"))),
            _call(2, (("u3", "milestone-failure"), ("u4", "mutation-testing"))),
            _call(3, (("u5", "mutation-testing"),)),
            _call(4, (), status=412),
        ]
    )
    feedback.add(
        "cml-tki-resistance",
        [
            _feedback("u2", "accepted"),
            _feedback("u4", "accepted"),
            _feedback("u5", "overridden", "already-ordered"),
            _feedback("u1", "overridden", "not-relevant"),
            _feedback("u3", "overridden", "not-relevant"),
            _feedback("zz9", "overridden"),
        ],
    )
    reports = {r.code: r for r in build_report(audit.all(), feedback.all())}
    assert set(reports) == {"milestone-failure", "mutation-testing", UNMATCHED}
    mutation = reports["mutation-testing"]
    assert (mutation.shown, mutation.accepted, mutation.overridden) == (3, 2, 1)
    assert mutation.acceptance_rate == 2 / 3
    milestone = reports["milestone-failure"]
    assert (milestone.shown, milestone.accepted, milestone.overridden) == (2, 0, 2)
    assert dict(milestone.override_reasons) == {"not-relevant (Not-Relevant)": 2}
    assert reports[UNMATCHED].overridden == 1
    text = render_report(list(reports.values()), None)
    assert "mutation-testing" in text and "66.7%" in text
    assert "Mrs X" not in text  # free-text comments are never printed
