"""`python -m bench.alert_burden` (`make alert-burden`): how many cards, how long, over a course set.

Calls the real service in process (the app factory with the vignettes' date) for every course of
bench/courses.py and reports: mean cards per call (all courses, the everyday mix, the quiet courses), mean
and longest detail in characters, the longest summary, summaries over 140 characters or cut with "…", and
per course the cards in the order the service returns them. Writes bench/results/alert_burden.{md,json}.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from cds_hooks.app import create_app
from cds_hooks.settings import Settings

from .courses import COURSES, TODAY, Course

__all__ = ["Burden", "measure"]

URL = "/cds-services/cml-tki-resistance"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
SUMMARY_MAX = 140


@dataclass(frozen=True)
class Burden:
    """The cards of one call, as the EHR receives them."""

    course: Course
    cards: list[dict[str, Any]]

    @property
    def codes(self) -> list[str]:
        return [f"{c['indicator']}:{c['extension']['org.cmlcds.finding']['code']}" for c in self.cards]


def measure() -> list[Burden]:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(database_path=Path(tmp) / "burden.sqlite3"), today=lambda: TODAY)
        with TestClient(app) as client:
            out = []
            for course in COURSES:
                response = client.post(URL, json=course.request)
                response.raise_for_status()
                out.append(Burden(course, response.json()["cards"]))
            return out


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def report(burdens: list[Burden]) -> dict[str, Any]:
    cards = [c for b in burdens for c in b.cards]
    details = [len(c.get("detail") or "") for c in cards]
    summaries = [c["summary"] for c in cards]
    everyday = [b for b in burdens if not b.course.vignette]
    return {
        "courses": len(burdens),
        "cardsPerCall": round(_mean([len(b.cards) for b in burdens]), 2),
        "cardsPerCallVignettes": round(_mean([len(b.cards) for b in burdens if b.course.vignette]), 2),
        "cardsPerCallEveryday": round(_mean([len(b.cards) for b in everyday]), 2),
        "cardsOnQuietCourses": sum(len(b.cards) for b in burdens if b.course.quiet),
        "maxCardsPerCall": max((len(b.cards) for b in burdens), default=0),
        "meanDetailChars": round(_mean([float(d) for d in details])),
        "medianDetailChars": round(statistics.median(details)) if details else 0,
        "maxDetailChars": max(details, default=0),
        "maxSummaryChars": max((len(s) for s in summaries), default=0),
        "summariesOver140OrCut": sum(1 for s in summaries if len(s) > SUMMARY_MAX or s.endswith("…")),
        "perCourse": [{"course": b.course.name, "cards": b.codes} for b in burdens],
    }


def _markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Alert burden",
        "",
        f"{result['courses']} courses (bench/courses.py), as of {TODAY}.",
        "",
        "| measure | value |",
        "|---|---|",
    ]
    lines += [f"| {key} | {value} |" for key, value in result.items() if key != "perCourse"]
    lines += ["", "| course | cards (in order) |", "|---|---|"]
    lines += [f"| {row['course']} | {', '.join(row['cards']) or '—'} |" for row in result["perCourse"]]
    return "\n".join(lines) + "\n"


def main() -> int:
    result = report(measure())
    text = _markdown(result)
    sys.stdout.write(text)
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "alert_burden.md").write_text(text)
    (RESULTS_DIR / "alert_burden.json").write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
