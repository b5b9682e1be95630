"""The alert-fatigue report: per finding code, cards shown, accepted, overridden (and why), acceptance rate.

Shown comes from the audit (the cards each successful hook call returned, by uuid and finding code);
accepted and overridden from the stored feedback, joined to the finding code through the card uuid.
Feedback on a card the audit window does not show (older than --since, or from before the audit kept
card uuids) is counted under `(card not in audit)`, not guessed. Free-text override comments are never
printed: they may name the patient. Acceptance rate = accepted / shown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["UNMATCHED", "CodeReport", "build_report", "render_report"]

UNMATCHED = "(card not in audit)"


@dataclass
class CodeReport:
    code: str
    shown: int = 0
    accepted: int = 0
    overridden: int = 0
    override_reasons: Counter[str] = field(default_factory=Counter)

    @property
    def acceptance_rate(self) -> float | None:
        return self.accepted / self.shown if self.shown else None


def build_report(audit_rows: Iterable[dict[str, Any]], feedback_rows: Iterable[dict[str, Any]]) -> list[CodeReport]:
    """One CodeReport per finding code, sorted by code (the unmatched row last)."""
    reports: dict[str, CodeReport] = {}
    code_of: dict[str, str] = {}
    for row in audit_rows:
        if row["status_code"] != 200:
            continue
        for uuid, code in row["cards"]:
            reports.setdefault(code, CodeReport(code)).shown += 1
            if uuid:
                code_of[uuid] = code
    for item in feedback_rows:
        code = code_of.get(item["card"], UNMATCHED)
        report = reports.setdefault(code, CodeReport(code))
        if item["outcome"] == "accepted":
            report.accepted += 1
        else:
            report.overridden += 1
            report.override_reasons[_reason(item.get("overrideReason"))] += 1
    return sorted(reports.values(), key=lambda r: (r.code == UNMATCHED, r.code))


def _reason(override: dict[str, Any] | None) -> str:
    coding = (override or {}).get("reason") or {}
    code, display = coding.get("code"), coding.get("display")
    if code and display:
        return f"{code} ({display})"
    return str(code or display or "no reason given")


def render_report(reports: list[CodeReport], since: str | None) -> str:
    """A plain-text table, then the override reasons per code."""
    header = f"Cards and feedback {'since ' + since if since else 'over the whole audit'}"
    lines = [header, "", f"{'finding code':<24}{'shown':>8}{'accepted':>10}{'overridden':>12}{'acceptance':>12}"]
    for r in reports:
        rate = "-" if r.acceptance_rate is None else f"{r.acceptance_rate:.1%}"
        lines.append(f"{r.code:<24}{r.shown:>8}{r.accepted:>10}{r.overridden:>12}{rate:>12}")
    if not reports:
        lines.append("(no hook calls or feedback recorded)")
    reasons = [r for r in reports if r.override_reasons]
    if reasons:
        lines += ["", "Override reasons"]
        for r in reasons:
            for reason, count in sorted(r.override_reasons.items(), key=lambda kv: (-kv[1], kv[0])):
                lines.append(f"  {r.code}: {reason} × {count}")
    return "\n".join(lines) + "\n"
