"""pregnancy: each rule fires, and does not (issue #23 item 1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from msgspec.structs import replace

from tki_resistance.consolidation import consolidate
from tki_resistance.findings import FindingCode, Severity
from tki_resistance.model import TKIS, PatientSnapshot, Pregnancy, PregnancyStatus
from tki_resistance.pipeline import assess, assess_stages
from tki_resistance.stages.pregnancy import pregnancy_findings
from tki_resistance.stages.relapse import relapse_findings

from .scenarios import KNOWLEDGE, DiseasePhase, StopReason, day, on, result, snapshot, state_of, stopped

MR4_RUN = tuple(result(m, 0.005) for m in range(36, 75, 3))


def _record(status: PregnancyStatus, months: float, **kw: object) -> Pregnancy:
    return Pregnancy(status, f"Condition/{status.value}", day(months), f"{status.value} on record", **kw)  # type: ignore[arg-type]


def _on(drug: str, status: PregnancyStatus | None, *, sex: str | None = "female", at: float = 12.5) -> PatientSnapshot:
    records = (_record(status, at - 1),) if status is not None else ()
    return snapshot(
        as_of_months=at,
        transcripts=(result(3, 5.0), result(12, 0.5)),
        tki_exposures=(on(drug, mg=100),),
        pregnancy=records,
        sex=sex,
    )


def _eligible(status: PregnancyStatus, sex: str | None = "female") -> PatientSnapshot:
    return snapshot(
        as_of_months=75,
        transcripts=(result(3, 5.0), result(12, 0.05), *MR4_RUN),
        tki_exposures=(on("imatinib", mg=400),),
        phase=DiseasePhase.CHRONIC,
        transcript_type="e14a2",
        pregnancy=(_record(status, 74),),
        sex=sex,
    )


def _cards(snap: PatientSnapshot) -> list:  # type: ignore[type-arg]
    return pregnancy_findings(state_of(snap, KNOWLEDGE), KNOWLEDGE)


@pytest.mark.parametrize("drug", TKIS)
def test_pregnant_on_any_tki_is_critical_stop(drug: str) -> None:
    [card] = _cards(_on(drug, PregnancyStatus.PREGNANT))
    assert card.code is FindingCode.PREGNANCY and card.severity is Severity.CRITICAL
    assert card.summary.startswith(f"Stop {drug}: pregnant")
    ids = {r.id for r in card.rules}
    assert {"pregnancy.any.contraindicated", f"pregnancy.{drug}.label", "pregnancy.any.first-trimester"} <= ids
    assert "obstetric liaison" in card.action


def test_dasatinib_names_hydrops_and_no_stage() -> None:
    [card] = _cards(_on("dasatinib", PregnancyStatus.PREGNANT))
    assert "pregnancy.dasatinib.hydrops" in {r.id for r in card.rules}
    assert "dasatinib at no stage" in card.action
    [other] = _cards(_on("imatinib", PregnancyStatus.PREGNANT))
    assert "hydrops" not in " ".join(other.detail) and "at no stage" not in other.action


def test_alternatives_are_said_as_unverified() -> None:
    [card] = _cards(_on("imatinib", PregnancyStatus.PREGNANT))
    line = next(d for d in card.detail if "interferon" in d)
    assert "*(unverified)*" in line and not card.verified


def test_no_card_without_pregnancy_or_without_tki() -> None:
    assert _cards(_on("dasatinib", None)) == []
    off = replace(_on("dasatinib", PregnancyStatus.PREGNANT), tki_exposures=())
    assert _cards(off) == []


def test_old_pregnancy_record_ages_out_unless_due_date_ahead() -> None:
    snap = _on("imatinib", None, at=24)
    old = replace(snap, pregnancy=(_record(PregnancyStatus.PREGNANT, 12),))  # ~365 days ago > 294
    assert _cards(old) == []
    due = replace(old, pregnancy=(_record(PregnancyStatus.PREGNANT, 12, due=day(24) + timedelta(days=30)),))
    [card] = _cards(due)
    assert card.severity is Severity.CRITICAL and "due" in card.summary


def test_breastfeeding_follows_the_label() -> None:
    [das] = _cards(_on("dasatinib", PregnancyStatus.BREASTFEEDING))
    assert das.severity is Severity.CRITICAL and "must not" in das.summary
    [ima] = _cards(_on("imatinib", PregnancyStatus.BREASTFEEDING))
    assert ima.severity is Severity.WARNING and ima.extra["status"] == "breastfeeding"
    assert _cards(_on("imatinib", None)) == []


def test_planning_with_tfr_criteria_met_leads_with_the_tfr_route() -> None:
    [card] = _cards(_eligible(PregnancyStatus.PLANNING))
    assert card.severity is Severity.WARNING and card.extra["tfrRoute"] is True
    assert card.detail[0].startswith("**TFR route**") and "TFR criteria met" in card.summary


def test_planning_without_tfr_criteria_needs_a_specialist() -> None:
    [card] = _cards(_on("nilotinib", PregnancyStatus.PLANNING))
    assert card.severity is Severity.WARNING and card.extra["tfrRoute"] is False
    assert "specialist" in card.summary and "pregnancy.planning.specialist" in {r.id for r in card.rules}


def test_a_man_planning_to_conceive_gets_no_card() -> None:
    assert _cards(_eligible(PregnancyStatus.PLANNING, sex="male")) == []
    assert _cards(_on("dasatinib", PregnancyStatus.PLANNING, sex="male")) == []
    [unknown] = _cards(_on("dasatinib", PregnancyStatus.PLANNING, sex=None))
    assert "Sex not recorded" in " ".join(unknown.detail)


def test_tfr_card_folds_into_the_pregnancy_card() -> None:
    snap = _eligible(PregnancyStatus.PLANNING)
    codes = [f.code for f in assess_stages(snap, KNOWLEDGE)]
    assert FindingCode.TFR_ELIGIBLE in codes and FindingCode.PREGNANCY in codes
    cards = assess(snap, KNOWLEDGE)
    assert [f.code for f in cards] == [FindingCode.PREGNANCY]
    assert cards[0].extra["absorbed"][0]["code"] == "tfr-eligible"
    no_plan = replace(snap, pregnancy=())
    assert [f.code for f in consolidate(assess_stages(no_plan, KNOWLEDGE))] == [FindingCode.TFR_ELIGIBLE]


def test_no_comorbidity_caution_about_pregnancy() -> None:
    assert not [r for r in KNOWLEDGE.comorbidity_cautions if r.comorbidity == "pregnancy"]
    cards = assess(_on("dasatinib", PregnancyStatus.PREGNANT), KNOWLEDGE)
    mentions = [f.code for f in cards if "pregnan" in f.summary.lower()]
    assert FindingCode.PREGNANCY in mentions and FindingCode.COMORBIDITY_CAUTION not in mentions
    # the milestone card defers to the pregnancy card instead of saying "change TKI" (#22: one story)
    assert not [f for f in cards if f.code is FindingCode.MILESTONE_WARNING and "Consider changing" in f.summary]


def _tfr_relapse(pregnant: bool) -> PatientSnapshot:
    stop = day(60)
    return snapshot(
        as_of_months=66,
        transcripts=(result(12, 0.05), *(result(m, 0.005) for m in range(24, 61, 6)), result(65, 0.3)),
        tki_exposures=(stopped("imatinib", day(0), stop, StopReason.TFR),),
        pregnancy=(_record(PregnancyStatus.PREGNANT, 64),) if pregnant else (),
        sex="female",
    )


def test_tfr_relapse_in_pregnancy_says_no_tki_in_pregnancy() -> None:
    [plain] = relapse_findings(state_of(_tfr_relapse(False), KNOWLEDGE), KNOWLEDGE)
    assert plain.summary.startswith("Restart") and "pregnan" not in " ".join(plain.detail).lower()
    [card] = relapse_findings(state_of(_tfr_relapse(True), KNOWLEDGE), KNOWLEDGE)
    assert "no TKI in pregnancy" in card.summary and card.detail[0].startswith("**Pregnant**")
    assert card.extra["pregnant"] is True and "pregnancy.any.contraindicated" in {r.id for r in card.rules}
