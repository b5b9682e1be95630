"""Card wording: proper labels instead of slugs, no doubled guideline names, no negative log reductions,
summaries that name the action and the datum and fit the CDS Hooks limit (issue #11)."""

from __future__ import annotations

import re
from typing import get_args

from tki_resistance.findings import SUMMARY_MAX, fit
from tki_resistance.knowledge.schema import MonitoringSituation
from tki_resistance.stages.drug_interaction import drug_interaction_findings
from tki_resistance.stages.monitoring import SITUATION_LABELS
from tki_resistance.stages.response import response_findings
from tki_resistance.stages.tfr import tfr_findings

from .scenarios import KNOWLEDGE, DiseasePhase, comed, on, result, snapshot, state_of

_SLUG = re.compile(r"\b[a-z0-9]+(?:-[a-z0-9]+){2,}\b")  # "log-rise-in-mmr", "tfr-months-7-12"


def test_every_monitoring_situation_has_a_label() -> None:
    assert set(get_args(MonitoringSituation)) == set(SITUATION_LABELS)
    assert not any(_SLUG.search(label) for label in SITUATION_LABELS.values())


def test_every_drug_class_has_a_label_a_card_can_show() -> None:
    assert all(row.label and not _SLUG.search(row.label) for row in KNOWLEDGE.drug_classes)


def test_interaction_line_names_the_class_by_its_label() -> None:
    snap = snapshot(
        transcripts=(result(3, 30.0), result(6, 20.0), result(12, 5.0)),
        tki_exposures=(on("nilotinib", mg=600, per_day=2),),
        comedications=(comed("citalopram"),),
    )
    # #22: a QT-prolonging drug adds a risk, it does not lower exposure: the drug-interaction card names it
    [finding] = drug_interaction_findings(state_of(snap, KNOWLEDGE), KNOWLEDGE)
    text = finding.summary + "\n".join(finding.detail)
    assert "QT-prolonging drug" in text and "qt prolonging" not in text.lower().replace("qt-prolonging", "")


def test_a_rising_result_is_not_a_negative_log_reduction() -> None:
    snap = snapshot(transcripts=(result(3, 2.0), result(12.2, 8.0)), tki_exposures=(on("imatinib", mg=400),))
    [finding] = response_findings(state_of(snap, KNOWLEDGE), KNOWLEDGE)
    text = "\n".join(finding.detail)
    assert "0.6-log rise from the first result" in text and not re.search(r"-\d+(\.\d+)?-log", text)


def test_tfr_comparison_names_its_guideline_once() -> None:
    snap = snapshot(
        as_of_months=80,
        transcripts=tuple(result(m, 0.002) for m in range(38, 80, 3)),
        tki_exposures=(on("imatinib", mg=400),),
        phase=DiseasePhase.CHRONIC,
    )
    [finding] = tfr_findings(state_of(snap, KNOWLEDGE), KNOWLEDGE)
    assert not any(re.search(r"(NCCN \d{4}): \1", line) for line in finding.detail)


def test_fit_takes_the_first_candidate_that_fits() -> None:
    long = "x" * (SUMMARY_MAX + 1)
    assert fit(long, "short") == "short" and fit("first", "second") == "first"
