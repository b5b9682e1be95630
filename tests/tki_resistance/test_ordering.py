"""The ordering stage on the model alone: drafted TKIs and drafted co-medications against the record."""

from __future__ import annotations

from tests.tki_resistance.scenarios import KNOWLEDGE, START, comed, day, kd_test, on, snapshot, state_of, stopped
from tki_resistance.findings import FindingCode, Severity
from tki_resistance.model import DiseasePhase, StopReason
from tki_resistance.ordering.findings import ordering_findings
from tki_resistance.ordering.orders import DraftOrder
from tki_resistance.state.history import line_for


def _draft(name: str, tki: str | None = None, mg: float | None = None, per_day: int | None = 1) -> DraftOrder:
    return DraftOrder(f"MedicationRequest/{name}", name, tki, (), mg, per_day if mg else None, None)


def test_line_for_a_new_tki_counts_the_other_tkis_taken() -> None:
    record = snapshot(
        tki_exposures=(stopped("imatinib", START, day(6), StopReason.RESISTANCE), on("dasatinib", start=day(7)))
    )
    assert line_for(record, "dasatinib") == 2  # the current TKI keeps its line
    assert line_for(record, "ponatinib") == 3
    assert line_for(record, "imatinib") == 2  # imatinib again: one other TKI taken


def test_every_finding_names_its_draft_and_drug() -> None:
    record = snapshot(kinase_domain_tests=(kd_test(day(6), "T315I"),))
    drafts = [_draft("nilotinib", "nilotinib", 800, 2)]
    findings = ordering_findings(state_of(record, KNOWLEDGE), drafts, drafts, KNOWLEDGE)
    assert findings and all(f.extra["order"] == "MedicationRequest/nilotinib" for f in findings)
    assert {f.extra["drug"] for f in findings} == {"nilotinib"}


def test_resistance_then_intolerance_of_the_same_tki_is_failure_only() -> None:
    history = (
        stopped("imatinib", START, day(6), StopReason.RESISTANCE),
        stopped("imatinib", day(7), day(9), StopReason.INTOLERANCE),
        on("dasatinib", start=day(10)),
    )
    drafts = [_draft("imatinib", "imatinib", 400)]
    codes = [
        f.code
        for f in ordering_findings(state_of(snapshot(tki_exposures=history), KNOWLEDGE), drafts, drafts, KNOWLEDGE)
    ]
    assert codes == [FindingCode.PRIOR_FAILURE]


def test_a_draft_only_in_the_session_is_context_not_spoken_about() -> None:
    record = snapshot(tki_exposures=(on("nilotinib", mg=800, per_day=2),))
    tki, ppi = _draft("dasatinib", "dasatinib", 100), _draft("esomeprazole")
    spoken_ppi = ordering_findings(state_of(record, KNOWLEDGE), [ppi], [tki, ppi], KNOWLEDGE)
    partners = {i["tki"] for f in spoken_ppi for i in f.extra["interactions"]}
    assert partners == {"nilotinib", "dasatinib"}  # the current TKI and the unselected drafted one


def test_the_line_or_phase_rule_leaves_the_current_tki_to_the_clinician() -> None:
    record = snapshot(tki_exposures=(on("dasatinib", mg=100),), phase=DiseasePhase.CHRONIC)
    escalation = [_draft("dasatinib", "dasatinib", 140)]
    assert ordering_findings(state_of(record, KNOWLEDGE), escalation, escalation, KNOWLEDGE) == []


def test_a_strong_inhibitor_with_ponatinib_is_avoid_and_withheld() -> None:
    record = snapshot(tki_exposures=(on("ponatinib", mg=45),), comedications=(comed("aspirin"),))
    drafts = [_draft("clarithromycin")]
    (finding,) = ordering_findings(state_of(record, KNOWLEDGE), drafts, drafts, KNOWLEDGE)
    assert finding.code is FindingCode.DRUG_INTERACTION and finding.severity is Severity.WARNING
    assert finding.extra["withhold"] is True and "45→30" in " ".join(finding.detail)
