"""Issue #23 items 3 and 4: the nilotinib boxed warning as a critical card, and the label's doses in renal and
hepatic impairment — each rule with a case that fires and one that does not."""

from __future__ import annotations

from datetime import date
from typing import Unpack

import pytest

from tki_resistance.findings import Finding, FindingCode, Severity
from tki_resistance.model import Comorbidity, OrganFunction
from tki_resistance.ordering.dose import draft_dose_findings
from tki_resistance.stages.comorbidity import comorbidity_findings
from tki_resistance.stages.dose_check import dose_check_findings
from tki_resistance.stages.extrinsic_causes import extrinsic_causes_findings

from .scenarios import KNOWLEDGE, SnapshotFields, comorbid, day, on, result, rule_ids, snapshot, state_of

AS_OF = 12.5  # months after START: the snapshot's date


def _lab(
    measure: str, value: float | None, *, days_ago: int = 3, low: float | None = None, grade: str | None = None
) -> OrganFunction:
    taken = date.fromordinal(day(AS_OF).toordinal() - days_ago)
    unit = "mmol/L" if measure in ("potassium", "magnesium") else "mL/min"
    return OrganFunction(measure, f"Observation/{measure}-{value}", taken, value, unit, grade, low)


def _cautions(**kw: Unpack[SnapshotFields]) -> list[Finding]:
    return comorbidity_findings(state_of(snapshot(**kw), KNOWLEDGE), KNOWLEDGE)


def _doses(**kw: Unpack[SnapshotFields]) -> list[Finding]:
    return [f for f in dose_check_findings(state_of(snapshot(**kw), KNOWLEDGE), KNOWLEDGE) if f.extra.get("organ")]


NILOTINIB = (on("nilotinib", mg=600, per_day=2),)


# --- item 3: the nilotinib boxed warning ---------------------------------------------------------------------


def test_a_recent_low_potassium_is_do_not_give_until_corrected() -> None:
    [card] = _cautions(tki_exposures=NILOTINIB, potassium=_lab("potassium", 3.1, low=3.5))
    assert card.severity is Severity.CRITICAL and card.summary.startswith("Do not give nilotinib until corrected")
    assert {"comorbidity.nilotinib.hypokalaemia", "organ.electrolytes.window"} <= rule_ids([card])
    assert "organ.potassium.lower-limit" not in rule_ids([card])  # the laboratory gave its own range
    assert any(e.reference == "Observation/potassium-3.1" for e in card.evidence)
    assert card.extra["withhold"] is True and "Stop" not in card.summary


def test_a_normal_or_old_potassium_says_nothing() -> None:
    assert _cautions(tki_exposures=NILOTINIB, potassium=_lab("potassium", 3.6, low=3.5)) == []
    assert _cautions(tki_exposures=NILOTINIB, potassium=_lab("potassium", 3.1, days_ago=30)) == []


def test_without_a_reference_range_the_table_limit_decides_and_is_cited() -> None:
    [card] = _cautions(tki_exposures=NILOTINIB, potassium=_lab("potassium", 3.4))
    assert "organ.potassium.lower-limit" in rule_ids([card])
    assert _cautions(tki_exposures=NILOTINIB, potassium=_lab("potassium", 3.5)) == []  # 3.5 is not below 3.5


def test_a_low_magnesium_is_a_hold_too() -> None:
    [card] = _cautions(tki_exposures=NILOTINIB, magnesium=_lab("magnesium", 0.55))
    assert card.severity is Severity.CRITICAL and "comorbidity.nilotinib.hypomagnesaemia" in rule_ids([card])
    assert _cautions(tki_exposures=NILOTINIB, magnesium=_lab("magnesium", 0.8)) == []


def test_the_condition_alone_is_a_hold_and_a_later_normal_value_sets_it_aside() -> None:
    recorded = Comorbidity("Condition/hypok", "hypokalaemia", "Hypokalaemia", day(AS_OF - 2))
    [card] = _cautions(tki_exposures=NILOTINIB, comorbidities=(recorded,))
    assert card.severity is Severity.CRITICAL
    corrected = _lab("potassium", 4.1, low=3.5)
    assert _cautions(tki_exposures=NILOTINIB, comorbidities=(recorded,), potassium=corrected) == []


def test_low_potassium_is_not_a_nilotinib_card_for_another_tki() -> None:
    assert _cautions(tki_exposures=(on("imatinib", mg=400),), potassium=_lab("potassium", 3.0)) == []


def test_long_qt_syndrome_is_a_stop_and_a_prolonged_qt_a_boxed_warning() -> None:
    [stop] = _cautions(tki_exposures=NILOTINIB, comorbidities=(comorbid("long-qt-syndrome"),))
    assert stop.severity is Severity.CRITICAL and stop.summary.startswith("Stop nilotinib")
    assert "comorbidity.nilotinib.long-qt-syndrome" in rule_ids([stop])
    [boxed] = _cautions(tki_exposures=NILOTINIB, comorbidities=(comorbid("qt-prolongation"),))
    assert boxed.severity is Severity.WARNING
    assert _cautions(tki_exposures=(on("dasatinib", mg=100),), comorbidities=(comorbid("long-qt-syndrome"),)) == []


def test_every_caution_row_strength_follows_the_legend() -> None:
    """Issue #23: every row read once against its label section; only rows not re-read stay from memory."""
    for row in KNOWLEDGE.comorbidity_cautions:
        assert row.strength in ("caution", "warning", "boxed", "hold", "stop")
        if row.strength in ("hold", "stop", "boxed"):
            assert row.verified, row.id
    by_id = {row.id: row for row in KNOWLEDGE.comorbidity_cautions}
    assert by_id["comorbidity.dasatinib.pleural-effusion"].strength == "warning"
    assert by_id["comorbidity.nilotinib.long-qt-syndrome"].strength == "stop"
    assert by_id["comorbidity.nilotinib.hypokalaemia"].strength == "hold"


# --- item 4: organ-function doses, patient-view -------------------------------------------------------------


def test_imatinib_at_crcl_25_says_the_label_starts_at_half_within_the_400_mg_ceiling() -> None:
    [card] = _doses(tki_exposures=(on("imatinib", mg=400),), renal=_lab("creatinine-clearance", 25))
    assert card.code is FindingCode.DOSE_CHECK and card.severity is Severity.INFO
    assert "dose.imatinib.renal-crcl-20-39" in rule_ids([card]) and "200 mg/day" in card.summary
    [above] = _doses(tki_exposures=(on("imatinib", mg=600),), renal=_lab("creatinine-clearance", 25))
    assert above.severity is Severity.WARNING


@pytest.mark.parametrize(
    ("crcl", "mg", "fires"), [(59, 800, True), (59, 600, False), (60, 800, False), (19, 400, True)]
)
def test_imatinib_bands_are_the_labels(crcl: float, mg: float, fires: bool) -> None:
    assert bool(_doses(tki_exposures=(on("imatinib", mg=mg),), renal=_lab("creatinine-clearance", crcl))) is fires


def test_an_old_clearance_does_not_count_and_a_recent_normal_one_beats_the_kidney_condition() -> None:
    old = _lab("creatinine-clearance", 25, days_ago=200)
    assert _doses(tki_exposures=(on("imatinib", mg=400),), renal=old) == []
    bosutinib = (on("bosutinib", mg=500),)
    assert _doses(tki_exposures=bosutinib, comorbidities=(comorbid("kidney-disease"),))  # condition alone: fires
    normal = _lab("creatinine-clearance", 95)
    assert _doses(tki_exposures=bosutinib, comorbidities=(comorbid("kidney-disease"),), renal=normal) == []


def test_bosutinib_second_line_with_egfr_40_says_400_and_that_egfr_stood_for_crcl() -> None:
    exposures = (on("imatinib", mg=400, start=day(-30), end=day(-1), active=False), on("bosutinib", mg=500))
    [card] = _doses(tki_exposures=exposures, renal=_lab("egfr", 40))
    assert card.severity is Severity.WARNING and "400 mg/day" in card.summary
    assert {"dose.bosutinib.later.renal-crcl-30-50", "organ.renal.egfr-for-clearance"} <= rule_ids([card])
    assert _doses(tki_exposures=(*exposures[:1], on("bosutinib", mg=400)), renal=_lab("egfr", 40)) == []


def test_nilotinib_in_child_pugh_c_and_first_line_with_a_liver_condition() -> None:
    exposures = (on("imatinib", mg=400, start=day(-30), end=day(-1), active=False), on("nilotinib", mg=800, per_day=2))
    [card] = _doses(tki_exposures=exposures, hepatic=_lab("child-pugh", None, grade="C"))
    assert "dose.nilotinib.later.hepatic-impairment-c" in rule_ids([card])
    [first] = _doses(tki_exposures=NILOTINIB, comorbidities=(comorbid("liver-disease"),))
    assert "dose.nilotinib.first.hepatic-impairment" in rule_ids([first])
    assert _doses(tki_exposures=(on("nilotinib", mg=400, per_day=2),), comorbidities=(comorbid("liver-disease"),)) == []


def test_imatinib_speaks_in_severe_hepatic_impairment_only() -> None:
    assert _doses(tki_exposures=(on("imatinib", mg=400),), hepatic=_lab("child-pugh", None, grade="C"))
    assert _doses(tki_exposures=(on("imatinib", mg=400),), hepatic=_lab("child-pugh", None, grade="B")) == []
    assert _doses(tki_exposures=(on("imatinib", mg=400),), comorbidities=(comorbid("liver-disease"),)) == []


def test_asciminib_has_no_adjustment_and_says_nothing() -> None:
    asciminib = (on("asciminib", mg=80, per_day=2),)
    renal, hepatic = _lab("creatinine-clearance", 10), _lab("child-pugh", None, grade="C")
    assert _doses(tki_exposures=asciminib, renal=renal, hepatic=hepatic) == []


def test_a_label_dose_for_the_organ_is_not_an_extrinsic_cause() -> None:
    exposures = (on("imatinib", mg=400, start=day(-30), end=day(-1), active=False), on("bosutinib", mg=400))
    results = (result(3, 15.0), result(6, 12.0))
    state = state_of(snapshot(tki_exposures=exposures, transcripts=results, renal=_lab("egfr", 40)), KNOWLEDGE)
    causes = extrinsic_causes_findings(state, KNOWLEDGE)
    assert not any("below the standard" in "\n".join(f.detail) for f in causes)


# --- item 4: ordering -----------------------------------------------------------------------------------------


def _drafted(drug: str, mg: float, per_day: int = 1, **kw: Unpack[SnapshotFields]) -> list[Finding]:
    state = state_of(snapshot(**kw), KNOWLEDGE)
    exposure = on(drug, mg=mg, per_day=per_day, start=day(AS_OF), ordered=True)
    return [f for f in draft_dose_findings(state, exposure, KNOWLEDGE) if f.extra.get("organ")]


def test_a_draft_above_the_starting_dose_is_replaced_by_it() -> None:
    [card] = _drafted("imatinib", 400, renal=_lab("creatinine-clearance", 25))
    assert card.severity is Severity.WARNING and card.extra["withhold"] is True
    assert card.extra["replacementDose"] == {
        "mgPerDose": 200.0,
        "dosesPerDay": 1,
        "text": next(r.text for r in KNOWLEDGE.doses if r.id == "dose.imatinib.renal-crcl-20-39"),
    }
    assert _drafted("imatinib", 200, renal=_lab("creatinine-clearance", 25)) == []


def test_no_firm_dose_or_an_unknown_band_gives_no_replacement() -> None:
    [severe] = _drafted("imatinib", 400, renal=_lab("creatinine-clearance", 15))
    assert severe.extra["withhold"] is False and "replacementDose" not in severe.extra
    [condition_only] = _drafted("bosutinib", 500, comorbidities=(comorbid("kidney-disease"),))
    assert condition_only.extra["withhold"] is False and "replacementDose" not in condition_only.extra


def test_ponatinib_drafted_in_child_pugh_a_starts_at_30() -> None:
    [card] = _drafted("ponatinib", 45, hepatic=_lab("child-pugh", 5, grade="A"))
    assert card.extra["replacementDose"]["mgPerDose"] == 30.0
