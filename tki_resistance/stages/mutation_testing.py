"""When BCR::ABL1 kinase-domain mutation testing is indicated and not yet done (`mutation-testing`).

An episode of rising or inadequate response begins at its first trigger (failure; warning with a rising
result; loss of MMR; progression; no MMR 3–6 months after a TFR restart) and ends when BCR::ABL1 is back
to ≤0.1%. Within an episode a new trigger needs a further ≥1-log rise over the value at the previous
trigger, the first result >1%, a failure or progression. Testing is indicated when no KD test (positive or
negative) was taken on or after the latest trigger. An atypical transcript takes no IS trigger; its own-scale
series (state/own_scale.py) gives one: a ≥1-log rise from the nadir to the level where KD testing is feasible.
"""

from __future__ import annotations

from datetime import date, timedelta

import msgspec

from ..evidence import format_own_scale, format_percent, own_scale_evidence, transcript_evidence
from ..findings import Evidence, Finding, FindingCode, ResponseCategory, Severity, fit
from ..knowledge.loader import Knowledge
from ..knowledge.schema import MutationTestingRow
from ..model import (
    DETECTION_LIMIT,
    OwnScaleResult,
    PatientSnapshot,
    StopReason,
    TkiExposure,
    TranscriptResult,
    months_between,
)
from ..state import ClinicalState
from ..state.kinetics import LOG_RISE_FACTOR, on_drug
from ..state.milestones import MMR_PERCENT

__all__ = ["Trigger", "mutation_testing_findings", "testing_triggers"]

_RESTART_NO_MMR_DAYS = 92


class Trigger(msgspec.Struct, frozen=True, gc=False):
    kind: str  # a MutationTestingRow.trigger
    taken: date | None  # None: progression without a recorded date
    result: TranscriptResult | None
    text: str
    episode: int = 0  # progression: 0, joins whichever episode is latest
    own: OwnScaleResult | None = None  # own-scale-log-rise: the atypical transcript's result (not IS)
    nadir: OwnScaleResult | None = None


def _categories(state: ClinicalState) -> list[ResponseCategory | None]:
    """Per result on the current line (date order): its ELN category when it was the latest result, else None."""
    return [
        None if assessment is None or assessment.result is not result else assessment.category
        for result, assessment in state.history
    ]


def _tfr_restart(snapshot: PatientSnapshot, exposure: TkiExposure) -> bool:
    """The current TKI restarted after a stop for TFR (the line's own mark once lines are derived)."""
    line = snapshot.current_line
    if line is not None:
        return line.after_tfr
    start = exposure.start or date.min
    return any(
        e.stop_reason is StopReason.TFR and e.end is not None and e.end <= start
        for e in snapshot.tki_exposures
        if e is not exposure
    )


def _transcript_triggers(state: ClinicalState, exposure: TkiExposure, start: date) -> list[Trigger]:
    snapshot = state.snapshot
    results = on_drug(snapshot.transcripts, start)
    categories = _categories(state)
    restart = _tfr_restart(snapshot, exposure)
    triggers: list[Trigger] = []
    in_episode = False
    reached_mmr = False
    seen_failure = False
    above_1 = False
    last_value = 0.0
    episode = 0
    for index, result in enumerate(results):
        value = result.percent_is
        exact = result.comparator not in DETECTION_LIMIT
        if value <= MMR_PERCENT:
            reached_mmr = True
            in_episode = seen_failure = above_1 = False
            continue
        if not exact:
            continue
        category = categories[index]
        previous = results[index - 1] if index else None
        fired: list[tuple[str, str]] = []
        if not in_episode:
            if reached_mmr:
                fired.append(("loss-of-mmr", f"loss of MMR ({format_percent(result)})"))
            elif category is ResponseCategory.FAILURE:
                fired.append(("failure", f"ELN failure ({format_percent(result)})"))
            elif category is ResponseCategory.WARNING and previous is not None and value > previous.percent_is:
                fired.append(("warning-rising", f"ELN warning with a rising result ({format_percent(result)})"))
            elif restart and (result.taken - start).days >= _RESTART_NO_MMR_DAYS:
                fired.append(("tfr-restart-no-mmr", "no MMR 3 months or more after restarting the TKI after TFR"))
        else:
            if category is ResponseCategory.FAILURE and not seen_failure:
                fired.append(("failure", f"ELN failure ({format_percent(result)})"))
            if value > 1.0 and not above_1:
                fired.append(("above-1pct", f"first result >1% of the episode ({format_percent(result)})"))
            if value >= LOG_RISE_FACTOR * last_value:
                fired.append(("log-rise", f"≥1-log rise over the previous trigger ({format_percent(result)})"))
        if fired:
            episode += 0 if in_episode else 1
            in_episode = True
            last_value = value
            seen_failure = seen_failure or any(k == "failure" for k, _ in fired) or category is ResponseCategory.FAILURE
            above_1 = above_1 or value > 1.0
            triggers += [Trigger(kind, result.taken, result, text, episode) for kind, text in fired]
    return triggers


def _own_scale_triggers(state: ClinicalState) -> list[Trigger]:
    """An atypical transcript on its own scale: a ≥1-log rise from the nadir to the KD-testing floor (state)."""
    triggers: list[Trigger] = []
    for series in state.own_scale:
        result, nadir = series.rise_trigger, series.nadir
        if result is None or nadir is None:
            continue
        text = (
            f"{series.transcript} ≥1-log rise on its own scale, from the nadir {format_own_scale(nadir)} "
            f"({nadir.taken.isoformat()}) to {format_own_scale(result)}"
        )
        triggers.append(Trigger("own-scale-log-rise", result.taken, None, text, 1, result, nadir))
    return triggers


def testing_triggers(state: ClinicalState) -> list[Trigger]:
    """Every trigger on record, in date order (progression last when it has no date)."""
    snapshot = state.snapshot
    triggers: list[Trigger] = []
    exposure = snapshot.current_tki
    typical = snapshot.atypical_transcript is None  # IS triggers do not apply to an atypical transcript
    if exposure is not None and exposure.start is not None and typical:
        triggers += _transcript_triggers(state, exposure, exposure.start)
    if exposure is not None and exposure.start is not None and not typical:
        triggers += _own_scale_triggers(state)
    phase = state.phase.current
    if phase is not None:
        triggers.append(Trigger("progression", phase.since, None, f"{phase.phase} phase"))
    return sorted(triggers, key=lambda t: t.taken or date.max)


def _latest_test_since(snapshot: PatientSnapshot, trigger: Trigger) -> date | None:
    if trigger.taken is not None:
        since = trigger.taken
    else:  # progression without a date: a test on the current TKI (or in the last 3 months) counts
        current = snapshot.current_tki
        since = current.start if current and current.start else snapshot.as_of - timedelta(days=92)
    dates = [t.taken for t in snapshot.kinase_domain_tests if t.taken >= since]
    return max(dates) if dates else None


_WHY = {
    "failure": "ELN failure",
    "warning-rising": "ELN warning, rising",
    "loss-of-mmr": "loss of MMR",
    "log-rise": "≥1-log rise",
    "above-1pct": "above 1% in the episode",
    "tfr-restart-no-mmr": "no MMR ≥3 months after the TFR restart",
    "own-scale-log-rise": "≥1-log rise from the nadir",
}


def _summary(snapshot: PatientSnapshot, trigger: Trigger) -> str:
    """ "Order …: <value> at <months> on <drug> (<why>)", the action first and the datum that decides it."""
    action = "Order BCR::ABL1 kinase-domain mutation testing (NGS)"
    if trigger.own is not None:
        current = snapshot.current_tki
        on = ""
        if current is not None and current.start is not None:
            on = f" at {round(months_between(current.start, trigger.own.taken), 1):g} months on {current.drug}"
        value = format_own_scale(trigger.own)
        why = _WHY[trigger.kind]
        return fit(f"{action}: {value}{on} ({why})", f"{action}: {value} ({why})")
    if trigger.result is None:
        when = f" ({trigger.taken.isoformat()})" if trigger.taken else ""
        return fit(f"{action}: {trigger.text}{when}", f"{action}: {trigger.text}")
    current = snapshot.current_tki
    on = ""
    if current is not None and current.start is not None:
        on = f" at {round(months_between(current.start, trigger.result.taken), 1):g} months on {current.drug}"
    value = format_percent(trigger.result)
    why = _WHY.get(trigger.kind, trigger.kind)
    return fit(f"{action}: {value}{on} ({why})", f"{action}: {value} ({why})")


def _rule_for(rows: tuple[MutationTestingRow, ...], kind: str) -> MutationTestingRow | None:
    return next((r for r in rows if r.trigger == kind), None)


def mutation_testing_findings(state: ClinicalState, knowledge: Knowledge) -> list[Finding]:
    """`mutation-testing` (warning) with an order suggestion, or nothing when a test followed the trigger."""
    snapshot = state.snapshot
    triggers = testing_triggers(state)
    if not triggers:
        return []
    latest = triggers[-1]
    if _latest_test_since(snapshot, latest) is not None:
        return []
    current_episode = max(t.episode for t in triggers)
    episode = [t for t in triggers if t.episode in (0, current_episode)]
    rows = [r for t in episode if (r := _rule_for(knowledge.mutation_testing, t.kind)) is not None]
    unique = list({r.id: r for r in rows}.values())
    evidence: list[Evidence] = [transcript_evidence(t.result, f"Trigger: {t.kind}") for t in episode if t.result]
    for t in episode:
        if t.own is not None:
            evidence.append(own_scale_evidence(t.own, f"Trigger: {t.kind}"))
        if t.nadir is not None:
            evidence.append(own_scale_evidence(t.nadir, "Nadir on this line (own scale)"))
    previous = sorted(snapshot.kinase_domain_tests, key=lambda t: t.taken)
    if previous:
        last = previous[-1]
        found = ", ".join(v.name for v in last.variants) or "no mutation detected"
        evidence.append(Evidence("Last KD test (before the trigger)", found, last.taken.isoformat(), last.source))
    when = f" since {latest.taken.isoformat()}" if latest.taken else ""
    detail = [
        f"Trigger{'s' if len(episode) > 1 else ''}: " + "; ".join(t.text for t in episode) + ".",
        f"No kinase-domain mutation test (positive or negative){when} is on record. NGS is preferred: Sanger "
        "misses clones below ~20%.",
    ]
    own = [t for t in episode if t.own is not None]
    if own:
        transcript = snapshot.atypical_transcript or "atypical"
        detail.insert(
            1,
            f"IS milestones cannot be used: standard IS qPCR does not measure the {transcript} transcript, so the rise "
            "is read on its own scale (the transcript-specific assay), which compares only with the patient's own "
            "earlier results.",
        )
    return [
        Finding(
            code=FindingCode.MUTATION_TESTING,
            severity=Severity.WARNING,
            summary=_summary(snapshot, latest),
            rules=tuple(knowledge.rule(r) for r in unique),
            evidence=tuple(evidence),
            detail=tuple(detail),
            suggest_service_request=True,
            override_reasons=("Test already ordered", "Patient in a clinical trial", "Result pending"),
            extra={"triggers": [t.kind for t in episode]},
            action="Order BCR::ABL1 kinase-domain mutation analysis by NGS before choosing the next TKI.",
        )
    ]
