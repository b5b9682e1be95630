"""Seed vignettes V1–V15 (clinical-reference.md §11) and the boundaries, end to end through the hook.

Each test builds the FHIR record with tests/builders.py, calls POST /cds-services/cml-tki-resistance and
reads the cards a clinician would see, by their machine-readable finding code.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from tests.builders import (
    TODAY,
    bcr_abl1,
    condition,
    days_after,
    haplotype,
    hook_request,
    kd_variant,
    procedure,
    tki_statement,
)

URL = "/cds-services/cml-tki-resistance"
CML_CP = "Chronic myeloid leukaemia, chronic phase"


def _cards(client: TestClient, **request: Any) -> dict[str, list[dict[str, Any]]]:
    response = client.post(URL, json=hook_request(**request))
    assert response.status_code == 200, response.text
    cards: dict[str, list[dict[str, Any]]] = {}
    for card in response.json()["cards"]:
        cards.setdefault(card["extension"]["org.cmlcds.finding"]["code"], []).append(card)
    return cards


def _finding(card: dict[str, Any]) -> dict[str, Any]:
    finding: dict[str, Any] = card["extension"]["org.cmlcds.finding"]
    return finding


def _stopped(drug: str, start: date, end: date, reason: str, **kw: Any) -> dict[str, Any]:
    return tki_statement(drug, start, end=end, status="stopped", statusReason=[{"text": reason}], **kw)


def months_ago(months: float) -> date:
    return days_after(TODAY, -months)


def test_v1_imatinib_above_10pct_at_3_months_is_a_warning_with_nccn_yellow(client: TestClient) -> None:
    start = months_ago(3)
    cards = _cards(
        client,
        transcripts=[bcr_abl1(days_after(start, 3), 15.0)],
        medications=[tki_statement("imatinib", start, dose_mg=400)],
    )
    [card] = cards["milestone-warning"]
    assert _finding(card)["response"]["eln"] == "warning"
    assert {"version": "v2.2024", "colour": "yellow", "rule": "nccn2024.m3.yellow"} in _finding(card)["nccn"]
    assert "Repeat qPCR within 1–3 months" in card["detail"]
    assert "milestone-failure" not in cards and "mutation-testing" not in cards
    assert card["indicator"] == "warning"


def test_v15_12pct_at_3_months_confirmed_11pct_at_5_months_is_failure(client: TestClient) -> None:
    start = months_ago(5)
    cards = _cards(
        client,
        transcripts=[bcr_abl1(days_after(start, 3), 12.0), bcr_abl1(days_after(start, 5), 11.0)],
        medications=[tki_statement("imatinib", start, dose_mg=400)],
    )
    [card] = cards["milestone-failure"]
    # Issue #9: 5 months is in the 6-month window, so the 6-month band decides; the 3-month confirmation
    # rule is named second (the repeat also confirms the earlier >10%).
    assert _finding(card)["rules"] == ["eln2020.m6.failure", "eln2020.m3.failure-confirmed"]
    assert "mutation-testing" in cards and cards["mutation-testing"][0]["suggestions"]
    assert "extrinsic-causes" in cards  # rule out adherence and interactions before calling resistance


def test_v14_boundaries_10_1_and_0_1_pct_are_all_optimal(client: TestClient) -> None:
    start = months_ago(12.2)
    cards = _cards(
        client,
        transcripts=[
            bcr_abl1(days_after(start, 3), 10.0),
            bcr_abl1(days_after(start, 6), 1.0),
            bcr_abl1(days_after(start, 12), 0.10),
        ],
        medications=[tki_statement("imatinib", start, dose_mg=400)],
    )
    assert cards == {}


def test_boundary_a_sample_two_days_before_6_months_counts_toward_it(client: TestClient) -> None:
    start = months_ago(6)
    cards = _cards(
        client,
        transcripts=[bcr_abl1(days_after(start, 5.94), 12.0)],  # 2 days before the 6-month milestone
        medications=[tki_statement("imatinib", start, dose_mg=400)],
    )
    assert _finding(cards["milestone-failure"][0])["response"]["eln"] == "failure"


def test_boundary_loss_of_mmr_is_a_warning_and_triggers_mutation_testing(client: TestClient) -> None:
    start = months_ago(24)
    cards = _cards(
        client,
        transcripts=[bcr_abl1(days_after(start, 12), 0.05), bcr_abl1(days_after(start, 23.5), 0.4)],
        medications=[tki_statement("imatinib", start, dose_mg=400)],
    )
    assert _finding(cards["milestone-warning"][0])["lossOfMmr"] is True
    assert _finding(cards["mutation-testing"][0])["triggers"] == ["loss-of-mmr"]


def test_v2_accelerated_phase_t315i_y253h_compound_avoids_2g_tkis_and_asciminib_and_refers_for_sct(
    client: TestClient,
) -> None:
    start = months_ago(4)
    t315i = kd_variant(months_ago(5), "Thr315Ile")
    y253h = kd_variant(months_ago(5), "Tyr253His")
    cards = _cards(
        client,
        transcripts=[bcr_abl1(months_ago(4.2), 78.0), bcr_abl1(days_after(start, 3), 86.0)],
        medications=[
            tki_statement("ponatinib", start, dose_mg=45),
            tki_statement("asciminib", start, dose_mg=40, per_day=2),
        ],
        variants=[t315i, y253h, haplotype(months_ago(5), t315i, y253h)],
        conditions=[condition("92818009", "Chronic myeloid leukaemia, accelerated phase")],
    )
    avoid = _finding(cards["avoid-tki"][0])
    assert {"bosutinib", "dasatinib", "imatinib", "nilotinib", "asciminib"} <= set(avoid["avoid"])
    assert "T315I/Y253H" in avoid["mutations"]
    assert cards["avoid-tki"][0]["indicator"] == "critical"  # asciminib in use, disease progressed
    assert cards["advanced-phase"][0]["indicator"] == "critical"
    assert {"compound-resistant", "advanced-phase"} <= set(_finding(cards["sct-referral"][0])["situations"])


def test_v3_asciminib_40_bid_after_primary_ponatinib_failure_flags_low_expected_benefit(client: TestClient) -> None:
    pon_start, pon_end = months_ago(14), months_ago(2)
    cards = _cards(
        client,
        transcripts=[bcr_abl1(months_ago(11), 30.0), bcr_abl1(months_ago(5), 20.0), bcr_abl1(months_ago(0.5), 15.0)],
        medications=[
            _stopped("ponatinib", pon_start, pon_end, "resistance"),
            tki_statement("asciminib", months_ago(2), dose_mg=40, per_day=2),
        ],
    )
    [card] = cards["dose-check"]
    assert _finding(card)["rules"] == ["dose.asciminib.after-primary-ponatinib-failure"]
    assert "low expected benefit" in card["summary"]


def test_v4_asciminib_after_secondary_ponatinib_failure_is_reasonable(client: TestClient) -> None:
    cards = _cards(
        client,
        transcripts=[bcr_abl1(months_ago(11), 0.5), bcr_abl1(months_ago(3), 5.0), bcr_abl1(months_ago(0.5), 4.0)],
        medications=[
            _stopped("ponatinib", months_ago(14), months_ago(2), "resistance"),
            tki_statement("asciminib", months_ago(2), dose_mg=40, per_day=2),
        ],
    )
    assert "dose-check" not in cards


def test_v5_ponatinib_stopped_for_intolerance_is_not_a_failure(client: TestClient) -> None:
    cards = _cards(
        client,
        transcripts=[bcr_abl1(months_ago(7), 0.5), bcr_abl1(months_ago(3), 0.08), bcr_abl1(months_ago(0.5), 0.06)],
        medications=[
            _stopped("imatinib", months_ago(40), months_ago(20), "resistance"),
            _stopped("ponatinib", months_ago(20), months_ago(6), "intolerance: thrombocytopenia"),
            tki_statement("asciminib", months_ago(6), dose_mg=40, per_day=2),
        ],
    )
    assert "milestone-failure" not in cards and "sct-referral" not in cards


def test_v6_t315i_on_asciminib_200_bid_passes_and_40_bid_is_flagged(client: TestClient) -> None:
    variants = [kd_variant(months_ago(3), "Thr315Ile")]
    right = _cards(
        client, variants=variants, medications=[tki_statement("asciminib", months_ago(2), dose_mg=200, per_day=2)]
    )
    assert "dose-check" not in right
    assert _finding(right["avoid-tki"][0])["avoid"] == ["bosutinib", "dasatinib", "imatinib", "nilotinib"]
    low = _cards(
        client, variants=variants, medications=[tki_statement("asciminib", months_ago(2), dose_mg=40, per_day=2)]
    )
    assert _finding(low["dose-check"][0])["rules"] == ["dose.asciminib.t315i"]


def test_v7_refractory_after_allo_hsct_asks_for_mutation_status(client: TestClient) -> None:
    start = months_ago(7)
    cards = _cards(
        client,
        transcripts=[bcr_abl1(days_after(start, 3), 30.0), bcr_abl1(days_after(start, 6), 20.0)],
        medications=[tki_statement("asciminib", start, dose_mg=40, per_day=2)],
        procedures=[procedure("234336002", months_ago(18), text="Allogeneic haematopoietic stem cell transplant")],
    )
    assert "mutation-testing" in cards and "milestone-failure" in cards


def test_v8_blast_phase_on_asciminib_is_critical_with_sct_referral(client: TestClient) -> None:
    cards = _cards(
        client,
        medications=[tki_statement("asciminib", months_ago(1), dose_mg=200, per_day=2)],
        conditions=[condition("92818009", "Chronic myeloid leukaemia in blast crisis")],
    )
    assert cards["advanced-phase"][0]["indicator"] == "critical"
    assert "advanced-phase" in _finding(cards["sct-referral"][0])["situations"]


def test_v9_asciminib_with_coronary_history_gets_a_comorbidity_caution(client: TestClient) -> None:
    cards = _cards(
        client,
        medications=[
            _stopped("nilotinib", months_ago(20), months_ago(3), "intolerance"),
            tki_statement("asciminib", months_ago(3), dose_mg=40, per_day=2),
        ],
        conditions=[condition("53741008", "Coronary arteriosclerosis")],
    )
    caution = _finding(cards["comorbidity-caution"][0])
    assert caution["tki"] == "asciminib" and "comorbidity.asciminib.coronary-artery-disease" in caution["rules"]
    assert "sct-referral" not in cards


def test_v10_t315i_ponatinib_resistant_prefers_sct(client: TestClient) -> None:
    cards = _cards(
        client,
        variants=[kd_variant(months_ago(3), "Thr315Ile")],
        medications=[
            _stopped("ponatinib", months_ago(15), months_ago(2), "resistance"),
            tki_statement("asciminib", months_ago(2), dose_mg=200, per_day=2),
        ],
    )
    assert "t315i-ponatinib-resistant" in _finding(cards["sct-referral"][0])["situations"]


def test_v11_newly_diagnosed_blast_phase(client: TestClient) -> None:
    cards = _cards(
        client,
        medications=[tki_statement("imatinib", months_ago(0.3), dose_mg=600)],
        conditions=[condition("92818009", "Chronic myeloid leukaemia, blast phase")],
    )
    assert cards["advanced-phase"][0]["indicator"] == "critical"
    assert "sct-referral" in cards
    assert _finding(cards["mutation-testing"][0])["triggers"] == ["progression"]


def test_v12a_asciminib_chosen_for_comorbidities_without_mutation(client: TestClient) -> None:
    cards = _cards(
        client,
        transcripts=[bcr_abl1(months_ago(0.5), 0.5)],
        variants=[kd_variant(months_ago(4), None)],
        medications=[tki_statement("asciminib", months_ago(4), dose_mg=40, per_day=2)],
        conditions=[condition("60046008", "Pleural effusion")],
    )
    assert "avoid-tki" not in cards and "comorbidity-caution" not in cards  # no asciminib caution for effusion


def test_v12b_t315i_on_ponatinib_45_at_1pct_is_reduced_to_15(client: TestClient) -> None:
    start = months_ago(7)
    cards = _cards(
        client,
        transcripts=[bcr_abl1(days_after(start, 3), 8.0), bcr_abl1(days_after(start, 6), 0.9)],
        variants=[kd_variant(months_ago(8), "Thr315Ile")],
        medications=[tki_statement("ponatinib", start, dose_mg=45)],
    )
    assert _finding(cards["dose-check"][0])["rules"] == ["dose.ponatinib.response-le-1pct"]


def test_v13a_tfr_candidate_in_mr45_for_years(client: TestClient) -> None:
    start = months_ago(78)
    cards = _cards(
        client,
        transcripts=[bcr_abl1(months_ago(m), 0.002) for m in range(42, 0, -3)],
        medications=[tki_statement("imatinib", start, dose_mg=400)],
        conditions=[condition("92818009", CML_CP)],
    )
    assert "tfr-eligible" in cards and cards["tfr-eligible"][0]["indicator"] == "info"


def test_v13b_loss_of_mmr_after_tfr_and_no_mmr_months_after_restart_triggers_testing(client: TestClient) -> None:
    stop, restart = months_ago(9), months_ago(5)
    cards = _cards(
        client,
        transcripts=[bcr_abl1(months_ago(6), 0.4), bcr_abl1(months_ago(2), 0.3), bcr_abl1(months_ago(0.5), 0.2)],
        medications=[
            _stopped("imatinib", months_ago(90), stop, "treatment-free remission"),
            tki_statement("imatinib", restart, dose_mg=400),
        ],
    )
    assert "tfr-restart-no-mmr" in _finding(cards["mutation-testing"][0])["triggers"]
