"""The milestone card's context lines: the NCCN colour beside the ELN class, and the kinetics of the line.

None of these changes the line's ELN verdict (state/verdict.py); they help the clinician read it.
"""

from __future__ import annotations

from typing import Any

from ..evidence import format_percent
from ..findings import RuleRef
from ..knowledge.loader import Knowledge
from ..model import DETECTION_LIMIT, TranscriptResult
from ..state.kinetics import Kinetics, confirmed_above
from ..state.milestones import MilestoneAssessment
from ..state.nccn import nccn_bands_for

__all__ = ["halving_window_months", "kinetics_lines", "log_change_text", "nccn_lines"]


def nccn_lines(
    assessment: MilestoneAssessment, knowledge: Knowledge, with_action: bool = True
) -> tuple[list[str], list[dict[str, Any]], list[RuleRef]]:
    """Detail lines, `extra["nccn"]` entries and rules for the NCCN colour(s) at this milestone. Without
    `with_action` the colour is shown but not NCCN's action: when the line's one verdict is a failure, an
    NCCN "continue" beside "change TKI" would be two stories for one line."""
    if assessment.milestone not in (3, 6, 12) or assessment.result.comparator in DETECTION_LIMIT:
        return [], [], []
    lines: list[str] = []
    entries: list[dict[str, Any]] = []
    rules: list[RuleRef] = []
    for band in nccn_bands_for(assessment.result.percent_is, assessment.milestone, knowledge.nccn_bands):
        colour = band.colour or "not confirmed"
        entries.append({"version": band.version, "colour": band.colour, "rule": band.id})
        same = bool(entries[:-1]) and entries[-2]["colour"] == band.colour and band.colour is not None
        lines.append(
            f"NCCN {band.version}: **{colour}** at {band.months} months"
            + ("" if same or not with_action else f" — {band.action}")
        )
        rules.append(knowledge.rule(band))
    return lines, entries, rules


def log_change_text(kin: Kinetics) -> str | None:
    """`1.2-log reduction` or `0.8-log rise` from the baseline: a rise is never a negative reduction."""
    if kin.log_reduction is None:
        return None
    if kin.log_reduction >= 0:
        return f"{kin.log_reduction:.1f}-log reduction"
    return f"{-kin.log_reduction:.1f}-log rise"


def halving_window_months(knowledge: Knowledge) -> float:
    """Months on the line up to which the halving-time note is shown (course row `halving-time-window`)."""
    row = knowledge.course_rule("halving-time-window")
    return row.months if row is not None and row.months is not None else 6.0


def kinetics_lines(
    kin: Kinetics,
    on_drug_results: list[TranscriptResult],
    lost_mmr: bool,
    show_halving: bool,
) -> list[str]:
    lines: list[str] = []
    change = log_change_text(kin)
    if kin.baseline is not None and change is not None:
        where = "first result on this line" if kin.baseline_on_drug else "baseline before this line"
        halving = show_halving and kin.halving_days is not None
        lines.append(
            f"Kinetics: {change} from the {where} "
            f"({format_percent(kin.baseline)}, {kin.baseline.taken.isoformat()})"
            + (
                f"; halving time {kin.halving_days:.0f} days (PDQ: >10% at 3 months still did well with a "
                "halving time <76 days)."
                if halving
                else "."
            )
        )
    if kin.nadir is not None and kin.rise_factor is not None:
        lines.append(
            f"**≥1-log rise**: {kin.rise_factor:.0f}-fold above the nadir {format_percent(kin.nadir)} "
            f"({kin.nadir.taken.isoformat()})."
        )
    if lost_mmr and confirmed_above(on_drug_results, 1.0):  # a "loss" needs MMR reached first
        lines.append(
            "Two consecutive results >1% after MMR (ELN 2013 'confirmed loss of MMR'; ELN 2020: >1% is failure)."
        )
    return lines
