"""comorbidity-caution: every caution row fires for its comorbidity and TKI and not without it."""

from __future__ import annotations

import pytest

from tki_resistance.findings import Severity
from tki_resistance.knowledge.schema import ComorbidityCautionRow
from tki_resistance.stages.comorbidity import comorbidity_findings

from .scenarios import KNOWLEDGE, comorbid, on, rule_ids, snapshot, state_of


@pytest.mark.parametrize("row", KNOWLEDGE.comorbidity_cautions, ids=lambda r: r.id)
def test_caution_fires_for_its_comorbidity_on_its_tki(row: ComorbidityCautionRow) -> None:
    findings = comorbidity_findings(
        state_of(snapshot(tki_exposures=(on(row.tki),), comorbidities=(comorbid(row.comorbidity),)), KNOWLEDGE),
        KNOWLEDGE,
    )
    assert row.id in rule_ids(findings)
    expected = {"caution": Severity.INFO, "warning": Severity.WARNING, "boxed": Severity.WARNING}
    assert findings[0].severity is expected.get(row.strength, Severity.CRITICAL)


@pytest.mark.parametrize("row", KNOWLEDGE.comorbidity_cautions, ids=lambda r: r.id)
def test_caution_does_not_fire_without_the_comorbidity(row: ComorbidityCautionRow) -> None:
    other = "gi-disease" if row.comorbidity != "gi-disease" else "smoking"
    findings = comorbidity_findings(
        state_of(snapshot(tki_exposures=(on(row.tki),), comorbidities=(comorbid(other),)), KNOWLEDGE), KNOWLEDGE
    )
    assert row.id not in rule_ids(findings)


def test_boxed_warning_is_a_warning_and_a_plain_caution_is_info() -> None:
    [boxed] = comorbidity_findings(
        state_of(snapshot(tki_exposures=(on("ponatinib"),), comorbidities=(comorbid("hypertension"),)), KNOWLEDGE),
        KNOWLEDGE,
    )
    assert boxed.severity is Severity.WARNING
    [plain] = comorbidity_findings(
        state_of(
            snapshot(tki_exposures=(on("imatinib"),), comorbidities=(comorbid("kidney-disease"),)), KNOWLEDGE
        ),  # #23: dasatinib lung disease is now a label warning
        KNOWLEDGE,
    )
    assert plain.severity is Severity.INFO


def test_ordered_tki_is_checked() -> None:
    # venous thromboembolism: a ponatinib caution, none for imatinib (heart failure now has an imatinib row)
    snap = snapshot(
        tki_exposures=(on("imatinib"), on("ponatinib", ordered=True)),
        comorbidities=(comorbid("venous-thromboembolism"),),
    )
    [finding] = comorbidity_findings(state_of(snap, KNOWLEDGE), KNOWLEDGE)
    assert finding.extra["tki"] == "ponatinib" and "ordered" in finding.detail[0]


def test_a_comorbidity_recognised_by_an_unverified_code_mapping_makes_the_card_unverified() -> None:
    from msgspec.structs import replace

    from tki_resistance.stages.comorbidity import UNVERIFIED_CODES

    checked = comorbid("hypertension")
    from_memory = replace(checked, code_verified=False)
    [verified] = comorbidity_findings(
        state_of(snapshot(tki_exposures=(on("ponatinib"),), comorbidities=(checked,)), KNOWLEDGE), KNOWLEDGE
    )
    [unverified] = comorbidity_findings(
        state_of(snapshot(tki_exposures=(on("ponatinib"),), comorbidities=(from_memory,)), KNOWLEDGE), KNOWLEDGE
    )
    assert UNVERIFIED_CODES.id not in rule_ids([verified])
    assert UNVERIFIED_CODES.id in rule_ids([unverified]) and not unverified.verified


def test_two_records_of_one_comorbidity_cite_its_row_once() -> None:
    [finding] = comorbidity_findings(
        state_of(
            snapshot(
                tki_exposures=(on("ponatinib"),), comorbidities=(comorbid("hypertension"), comorbid("hypertension"))
            ),
            KNOWLEDGE,
        ),
        KNOWLEDGE,
    )
    ids = [rule.id for rule in finding.rules]
    assert len(ids) == len(set(ids))


def test_pah_on_dasatinib_is_a_stop_and_critical_but_on_bosutinib_a_caution() -> None:
    [stop] = comorbidity_findings(
        state_of(
            snapshot(tki_exposures=(on("dasatinib"),), comorbidities=(comorbid("pulmonary-hypertension"),)), KNOWLEDGE
        ),
        KNOWLEDGE,
    )
    assert stop.severity is Severity.CRITICAL and "(label: stop)" in "\n".join(stop.detail)
    [caution] = comorbidity_findings(
        state_of(
            snapshot(tki_exposures=(on("bosutinib"),), comorbidities=(comorbid("pulmonary-hypertension"),)), KNOWLEDGE
        ),
        KNOWLEDGE,
    )
    assert caution.severity is Severity.INFO


def test_nilotinib_with_arterial_disease_is_a_verified_label_warning() -> None:
    for key in ("coronary-artery-disease", "peripheral-arterial-disease"):
        [finding] = comorbidity_findings(
            state_of(snapshot(tki_exposures=(on("nilotinib"),), comorbidities=(comorbid(key),)), KNOWLEDGE), KNOWLEDGE
        )
        assert finding.severity is Severity.WARNING and finding.verified


def test_new_rows_fire_only_for_a_tki_in_use() -> None:
    """Hepatitis B, pregnancy, hypokalaemia: nothing without a current or ordered TKI."""
    for key in ("hepatitis-b", "pregnancy", "hypokalaemia", "venous-thromboembolism"):
        assert (
            comorbidity_findings(
                state_of(snapshot(tki_exposures=(), comorbidities=(comorbid(key),)), KNOWLEDGE), KNOWLEDGE
            )
            == []
        )
    [k] = comorbidity_findings(
        state_of(snapshot(tki_exposures=(on("nilotinib"),), comorbidities=(comorbid("hypokalaemia"),)), KNOWLEDGE),
        KNOWLEDGE,
    )
    assert "ECG" in "\n".join(k.detail) and k.severity is Severity.CRITICAL  # #23: boxed "do not administer"
    assert (
        comorbidity_findings(
            state_of(snapshot(tki_exposures=(on("imatinib"),), comorbidities=(comorbid("hypokalaemia"),)), KNOWLEDGE),
            KNOWLEDGE,
        )
        == []
    )
