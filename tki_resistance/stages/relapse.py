"""Off treatment: relapse during treatment-free remission or after allogeneic transplant (`relapse`), and
the single card for a patient on no TKI yet (new diagnosis).

- TFR (docs/methods/tfr.md): the first result above MMR (>0.1% IS) after the TFR stop → a critical card:
  restart the TKI of the stopped line, named with its dose, within 4 weeks (ELN 2020); after the restart,
  MMR is expected within 3 months, else mutation testing (the mutation-testing stage then asks for it).
- After allogeneic transplant, on no TKI (docs/methods/transplant.md): the latest result after the
  transplant is a molecular relapse when it is detectable after a negative result, above MMR after a
  result in MMR, or ≥1 log above the lowest result since the transplant (and above the assay floor). The
  card names the transplant date, asks for mutation testing (with an order suggestion when no test
  followed) and lists the TKIs the mutations leave.
- New diagnosis (no TKI taken or ordered): one info card, no milestone (docs/methods/lines.md) — unless the
  results fell by a log or more (state.missing_tki, row `tki-missing`): then the one info card says the TKI
  is missing from the medication list and no milestone can be judged until it is recorded.
"""

from __future__ import annotations

import math
from datetime import timedelta

from msgspec.structs import replace

from ..evidence import format_dose, format_percent, stop_evidence, transcript_evidence
from ..findings import Evidence, Finding, FindingCode, Severity, fit
from ..knowledge.loader import Knowledge
from ..model import PatientSnapshot, months_between
from ..state import ClinicalState
from ..state.kinetics import latest_result
from ..state.lines import OffTreatment
from ..state.missing_tki import MissingTki
from ..state.relapse import Relapse
from .option_lines import option_lines, options_extra

__all__ = ["relapse_findings"]

_RESTART_DAYS = 28


def _in_pregnancy(clinical: ClinicalState, knowledge: Knowledge, card: Finding) -> Finding:
    """The TFR relapse card of a pregnant patient: a TKI is not given in pregnancy; the restart is the CML
    team's decision with obstetric liaison (pregnancy.toml)."""
    record = clinical.pregnancy
    if record is None or not clinical.pregnant:
        return card
    rows = [*knowledge.pregnancy_rows("pregnant"), *knowledge.pregnancy_rows("alternatives")]
    restart = card.extra["restart"]["drug"]
    line = (
        f"**Pregnant** ({record.how}): a TKI is not given in pregnancy (contraindicated, first trimester above "
        f"all{'; dasatinib at no stage' if restart == 'dasatinib' else ''}). Do not restart {restart} without the "
        "CML team and obstetric liaison, who decide how the disease is controlled until delivery."
    )
    when = record.recorded.isoformat() if record.recorded else None
    loss = next((e.value for e in card.evidence if e.label == "Loss of MMR"), "")
    return replace(
        card,
        summary=fit(
            f"Loss of MMR in TFR during pregnancy, {loss}: no TKI in pregnancy — CML team "
            "with obstetric liaison decides",
            "Loss of MMR in TFR during pregnancy: no TKI in pregnancy — CML team decides",
        ),
        detail=(line, *card.detail),
        action=f"Refer now to the CML team with obstetric liaison: {restart} is not restarted in pregnancy unless "
        "they decide disease control requires it (after the first trimester); monthly qPCR.",
        rules=card.rules + tuple(knowledge.rule(row) for row in rows if row.id not in {r.id for r in card.rules}),
        evidence=(*card.evidence, Evidence("Pregnancy", record.how, when, record.source)),
        extra={**card.extra, "pregnant": True},
    )


def _tfr_card(snapshot: PatientSnapshot, knowledge: Knowledge, state: OffTreatment, relapse: Relapse) -> Finding:
    line, since = state.line, state.since
    if line is None or since is None:  # a TFR state always has its stopped line and date
        raise ValueError("TFR state without its stopped line")
    stopped = next((r for r in reversed(line.records) if r.daily_dose_mg is not None), line.last)
    row = knowledge.course_rule("tfr-loss-of-mmr")
    restart_by = relapse.result.taken + timedelta(days=_RESTART_DAYS)
    dose = format_dose(stopped)
    latest = latest_result(snapshot.transcripts)
    testing = next((r for r in knowledge.mutation_testing if r.trigger == "tfr-restart-no-mmr"), None)
    rules = [knowledge.rule(r) for r in (row, testing) if r is not None]
    evidence = [
        stop_evidence(line.last if line.last.end else stopped, "Stopped for TFR", line.start),
        Evidence("In TFR", f"{months_between(since, snapshot.as_of):.0f} months", since.isoformat(), stopped.source),
        transcript_evidence(relapse.result, "Loss of MMR"),
    ]
    if latest is not None and latest is not relapse.result:
        evidence.append(transcript_evidence(latest, "Latest BCR::ABL1 (IS)"))
    goal = " (TFR goal recorded)" if snapshot.tfr_goal else ""
    detail = (
        f"Treatment-free remission since {since.isoformat()}{goal}, after {line.drug} from "
        f"{line.start.isoformat() if line.start else 'an unrecorded date'}.",
        f"**Loss of MMR** on {relapse.result.taken.isoformat()}: {format_percent(relapse.result)}.",
        "ELN 2020: restart the TKI within 4 weeks of the loss of MMR. Almost all relapses respond to the previous "
        "TKI again (PDQ).",
        "No new TFR attempt card while this relapse stands (course.tfr.failed-attempt).",
    )
    return Finding(
        code=FindingCode.RELAPSE,
        severity=Severity.CRITICAL,
        summary=fit(
            f"Restart {dose} within 4 weeks (by {restart_by.isoformat()}): loss of MMR in TFR, "
            f"{format_percent(relapse.result)} "
            f"({relapse.result.taken.isoformat()})",
            f"Restart {stopped.drug} by {restart_by.isoformat()}: loss of MMR in TFR",
        ),
        action=f"**Restart {dose}** by {restart_by.isoformat()}; then monthly qPCR. MMR is expected within 3 "
        "months; if it is not regained, test for kinase-domain mutations (NGS position paper 2019: 3–6 months).",
        rules=tuple(rules),
        evidence=tuple(evidence),
        detail=detail,
        override_reasons=("TKI already restarted", "Result to be repeated first", "Patient declines restart"),
        extra={
            "state": "tfr",
            "tfrSince": since.isoformat(),
            "restart": {"drug": stopped.drug, "dailyDoseMg": stopped.daily_dose_mg, "by": restart_by.isoformat()},
        },
    )


def _sct_card(state: ClinicalState, knowledge: Knowledge, relapse: Relapse) -> Finding:
    snapshot = state.snapshot
    sct = snapshot.allogeneic_transplant
    if sct is None:  # an after-sct relapse always has its transplant
        raise ValueError("transplant relapse without a transplant date")
    rows = [knowledge.course_rule("sct-molecular-relapse"), knowledge.course_rule("sct-relapse-treatment")]
    profile = state.mutations
    tested_since = any(t.taken >= relapse.result.taken for t in snapshot.kinase_domain_tests)
    evidence = [
        Evidence("Allogeneic transplant", "allo-SCT", sct.isoformat(), snapshot.transplant_source),
        transcript_evidence(relapse.result, "BCR::ABL1 after transplant"),
    ]
    if relapse.reference is not None:
        evidence.append(transcript_evidence(relapse.reference, "Earlier result after transplant"))
    detail = [
        f"Molecular relapse after the allogeneic transplant of {sct.isoformat()}: {relapse.why} "
        f"({format_percent(relapse.result)} on {relapse.result.taken.isoformat()}).",
        "Kinase-domain mutation testing (NGS) "
        + ("was done since the relapse result." if tested_since else "is indicated: none since this result."),
        *option_lines(state.options),
        *([] if profile.avoid else ["No kinase-domain mutation on record: no TKI is excluded by mutation so far."]),
        "Transplant evaluation is not suggested again (course.sct.no-referral).",
    ]
    return Finding(
        code=FindingCode.RELAPSE,
        severity=Severity.CRITICAL,
        summary=fit(
            f"Plan with the transplant centre: relapse after allo-SCT {sct.isoformat()}, "
            f"{format_percent(relapse.result)} ({relapse.result.taken.isoformat()}), {relapse.why.split(' (')[0]}",
            f"Plan with the transplant centre: relapse after allo-SCT {sct.isoformat()}, "
            f"{format_percent(relapse.result)} ({relapse.result.taken.isoformat()})",
        ),
        action=("Order kinase-domain mutation testing (NGS); then " if not tested_since else "")
        + "a TKI chosen by mutation status and/or donor lymphocyte infusion, with the transplant centre "
        "(unverified wording, clinical-reference §15 [M]).",
        rules=tuple(knowledge.rule(r) for r in rows if r is not None),
        evidence=tuple(evidence),
        detail=tuple(detail),
        mutations=tuple(v.name for v, _ in profile.variants),
        avoid=profile.avoided,
        suggest_service_request=not tested_since,
        override_reasons=("Transplant centre already informed", "Result to be repeated first"),
        extra={
            "state": "after-sct",
            "transplant": sct.isoformat(),
            "remaining": list(state.options.names),
            **options_extra(state.options),
        },
    )


def _new_diagnosis_card(state: ClinicalState, knowledge: Knowledge) -> Finding | None:
    snapshot = state.snapshot
    row = knowledge.course_rule("new-diagnosis")
    if row is None:
        return None
    evidence: list[Evidence] = [Evidence("CML diagnosis", "recorded", None, s) for s in snapshot.cml_diagnosis_sources]
    if snapshot.transcripts:
        first = snapshot.transcripts[0]
        evidence.append(transcript_evidence(first, "Baseline BCR::ABL1"))
    detail = [
        "No TKI is recorded as taken or ordered: a new diagnosis, or a TKI missing from the record.",
        "ELN 2020 milestones count from the start of the first TKI; no milestone is judged before it.",
    ]
    if not state.phase.advanced:
        detail.append("Chronic phase: kinase-domain mutation testing is not indicated before treatment.")
    return Finding(
        code=FindingCode.NOT_ASSESSABLE,
        severity=Severity.INFO,
        summary="No TKI yet: response milestones start with the first TKI",
        rules=(knowledge.rule(row),),
        evidence=tuple(evidence),
        detail=tuple(detail),
        extra={"state": "new-diagnosis"},
    )


def _missing_tki_card(state: ClinicalState, knowledge: Knowledge, missing: MissingTki) -> Finding:
    snapshot = state.snapshot
    high, latest = missing.highest, missing.latest
    fall = "to undetectable" if math.isinf(missing.logs) else f"a {missing.logs:.1f}-log fall"
    evidence: list[Evidence] = [Evidence("CML diagnosis", "recorded", None, s) for s in snapshot.cml_diagnosis_sources]
    evidence += [transcript_evidence(high, "Earlier BCR::ABL1"), transcript_evidence(latest, "Latest BCR::ABL1")]
    evidence += [Evidence("Medication on record (not a TKI)", m.name, None, m.source) for m in snapshot.comedications]
    return Finding(
        code=FindingCode.NOT_ASSESSABLE,
        severity=Severity.INFO,
        summary=fit(
            f"Record the TKI: none on the medication list, yet BCR::ABL1 fell from {format_percent(high)} to "
            f"{format_percent(latest)} ({latest.taken.isoformat()})",
            f"Record the TKI: none on the medication list, yet BCR::ABL1 fell to {format_percent(latest)}",
        ),
        rules=(knowledge.rule(missing.row),),
        evidence=tuple(evidence),
        detail=(
            f"BCR::ABL1 fell from {format_percent(high)} ({high.taken.isoformat()}) to {format_percent(latest)} "
            f"({latest.taken.isoformat()}), {fall}: untreated CML does not do that, so a TKI is most likely being "
            "taken but is missing from the medication list.",
            "ELN 2020 milestones count from the start of the TKI: none can be judged, and no response, mutation "
            "testing or monitoring interval is derived, until the TKI is recorded with its start date and dose.",
        ),
        action="Add the TKI (drug, start date, dose) to the medication list; the milestones are then judged.",
        override_reasons=("TKI taken elsewhere (trial, outside prescription)", "Results from another patient"),
        extra={"state": "tki-missing", "logFall": None if math.isinf(missing.logs) else round(missing.logs, 2)},
    )


def relapse_findings(state: ClinicalState, knowledge: Knowledge) -> list[Finding]:
    """`relapse` (critical) during TFR or after transplant; one info card for a new diagnosis (or a TKI missing
    from the record)."""
    if state.relapse is not None:
        stopped, relapse = state.relapse
        if relapse.kind == "tfr":
            return [_in_pregnancy(state, knowledge, _tfr_card(state.snapshot, knowledge, stopped, relapse))]
        return [_sct_card(state, knowledge, relapse)]
    off = state.off_treatment
    if off is not None and off.kind == "new-diagnosis":
        if state.missing_tki is not None:
            return [_missing_tki_card(state, knowledge, state.missing_tki)]
        card = _new_diagnosis_card(state, knowledge)
        return [card] if card is not None else []
    return []
