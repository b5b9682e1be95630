"""One patient, one story (issue #22): the cards of one call never contradict each other.

Each rule of `checker.py` runs over bench.courses.COURSES and over the seeded corpus (`corpus.py`), through
the real app (the calls are made once per session in conftest.py). A rule that fails on today's code is
marked xfail(strict=True) with what is wrong: when a fix lands the test passes, strict turns that into a
failure, and the mark comes off. The unit tests below show every rule firing and not firing.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest

from tests.builders import TODAY, bundle, condition, hook_request
from tests.coherence.checker import (
    RULES,
    Violation,
    continue_beside_change,
    critical_on_stale_evidence,
    extrinsic_without_data,
    option_excluded,
    option_outside_phase,
    shuffle_changes_answer,
    shuffled,
    tki_beside_pregnancy_stop,
    two_eln_verdicts,
    violations,
)
from tests.coherence.conftest import Call
from tests.coherence.corpus import generate

#: The rule-over-corpus tests that fail today, and why (issue #22). Remove an entry when its fix lands.
FAILING_TODAY: dict[tuple[str, str], str] = {}
SOURCES = ("courses", "generated")


def _judge(call: Call, rule: str) -> list[Violation]:
    return RULES[rule](
        call.request,
        call.cards,
        today=TODAY,
        below_standard=call.below_standard,
        orders=call.orders,
        reshuffled=call.reshuffled,
    )


def _params() -> list[Any]:
    params = []
    for rule in RULES:
        for source in SOURCES:
            reason = FAILING_TODAY.get((rule, source))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(pytest.param(rule, source, marks=marks, id=f"{rule}-{source}"))
    return params


@pytest.mark.parametrize(("rule", "source"), _params())
def test_one_patient_one_story(calls: dict[str, list[Call]], rule: str, source: str) -> None:
    broken = [(call, found) for call in calls[source] if (found := _judge(call, rule))]
    shown = "\n".join(f"- {call.name}: {call.story}\n  {found[0].message}" for call, found in broken[:5])
    assert not broken, f"{len(broken)}/{len(calls[source])} calls break {rule}:\n{shown}"


def test_uuids_depend_on_the_answer_not_on_entry_order(calls: dict[str, list[Call]]) -> None:
    """Where the shuffled request gets the same cards in the same order, it gets the same uuids too."""
    for call in calls["courses"] + calls["generated"]:
        if [c["summary"] for c in call.cards] == [c["summary"] for c in call.reshuffled]:
            assert [c["uuid"] for c in call.cards] == [c["uuid"] for c in call.reshuffled], call.name


def test_every_course_is_judged_and_orders_were_drafted(calls: dict[str, list[Call]]) -> None:
    assert len(calls["courses"]) >= 30 and len(calls["generated"]) == 2000
    assert sum(len(call.orders) for call in calls["generated"]) > 100  # the option-excluded rule has data


# --- the corpus ---------------------------------------------------------------------------------------------


def test_the_corpus_is_seeded_and_varied() -> None:
    first, again = generate(200, seed=5), generate(200, seed=5)
    assert [c.request for c in first] == [c.request for c in again]
    stories = " ".join(c.truth.story for c in generate(600))
    for needle in ("L4 ", "resistance", "intolerance", "treatment-free remission", "KD T315I/E255V", "blast phase"):
        assert needle in stories, needle
    assert {c.truth.below_standard for c in first} == {True, False, None}


# --- the checker on hand-made cards ---------------------------------------------------------------------------


def _card(code: str, summary: str, indicator: str = "warning", detail: str = "", **ext: Any) -> dict[str, Any]:
    return {
        "uuid": f"{code}-{len(summary)}",
        "summary": summary,
        "indicator": indicator,
        "detail": detail,
        "extension": {"org.cmlcds.finding": {"code": code, **ext}},
    }


REQUEST = hook_request()
WARNING = _card(
    "milestone-warning",
    "Consider changing imatinib: BCR::ABL1 4% IS at 6 months",
    detail="**What to do**: Weigh continuing against changing the TKI (ELN 2020 warning) and monitor more often.",
    response={"eln": "warning", "months": 6, "bcrAbl1IS": 4},
)
FAILURE = _card(
    "milestone-failure",
    "Change TKI: ELN 2020 failure on imatinib at any time, T315I",
    detail="**What to do**: Change treatment (ELN 2020), once non-adherence and interactions are excluded.",
    response={"eln": "failure", "months": 6},
)
TFR_GOAL = _card("milestone-warning", "Discuss the TFR goal", "info", response={"eln": "warning"}, tfrGoal=True)
SWITCH = _card(
    "avoid-tki",
    "Switch from imatinib: T315I (2026-11-10) — avoid bosutinib, dasatinib, imatinib, nilotinib; options "
    "ponatinib, asciminib",
    "critical",
    avoid=["bosutinib", "dasatinib", "imatinib", "nilotinib"],
    remaining=["ponatinib", "asciminib"],
)


def test_two_eln_verdicts() -> None:
    assert two_eln_verdicts(REQUEST, [WARNING, FAILURE])
    assert not two_eln_verdicts(REQUEST, [WARNING])
    assert not two_eln_verdicts(REQUEST, [WARNING, TFR_GOAL])  # the same class for the TFR goal
    assert two_eln_verdicts(REQUEST, [FAILURE, TFR_GOAL])  # failure for survival, "warning" for the goal
    assert not two_eln_verdicts(REQUEST, [TFR_GOAL])


def test_continue_beside_change() -> None:
    assert continue_beside_change(REQUEST, [WARNING, SWITCH])
    assert continue_beside_change(REQUEST, [WARNING, FAILURE])
    other = _card("avoid-tki", "Switch from nilotinib: T315I", "critical")
    assert not continue_beside_change(REQUEST, [WARNING, other])
    nccn = _card(
        "milestone-failure", "Change TKI: failure on imatinib", detail="switch TKI or continue (other than imatinib)."
    )
    assert not continue_beside_change(REQUEST, [nccn, SWITCH])
    assert not continue_beside_change(REQUEST, [WARNING])  # one card weighing both is one story


def test_option_excluded() -> None:
    referral = _card("sct-referral", "Refer: T315I with resistance to ponatinib", failedTkis=["ponatinib"])
    assert option_excluded(REQUEST, [SWITCH, referral])
    assert not option_excluded(REQUEST, [SWITCH])
    withheld = _card("prior-failure", "asciminib failed before", withhold=True, drug="asciminib")
    assert option_excluded(REQUEST, [SWITCH], orders={"asciminib": [withheld]})
    said = _card("comorbidity-caution", "asciminib was stopped before for intolerance: not a failure")
    assert not option_excluded(REQUEST, [SWITCH], orders={"asciminib": [said]})
    failing = _card("milestone-failure", "Change TKI: ELN 2020 failure on ponatinib, 3% IS")
    assert option_excluded(REQUEST, [SWITCH, failing])


def test_option_outside_phase() -> None:
    blast = _card("advanced-phase", "Treat as blast-phase CML", "critical", phase="blast")
    accelerated = _card("advanced-phase", "Treat as accelerated-phase CML", "critical", phase="accelerated")
    assert option_outside_phase(REQUEST, [blast, SWITCH])  # asciminib: CP only
    assert not option_outside_phase(REQUEST, [SWITCH])
    nilotinib = _card("avoid-tki", "Avoid imatinib: Y253H; options nilotinib, ponatinib", "critical")
    assert not option_outside_phase(REQUEST, [accelerated, nilotinib])
    assert option_outside_phase(REQUEST, [blast, nilotinib])


def test_extrinsic_without_data() -> None:
    dose = {"kind": "dose-below-standard", "phrase": "dose 400 mg/day below the standard 600 mg/day"}
    ext = _card("extrinsic-causes", "Rule out before calling resistance on imatinib", causes=[dose])
    assert extrinsic_without_data(REQUEST, [ext], below_standard=False)
    assert not extrinsic_without_data(REQUEST, [ext], below_standard=True)
    assert not extrinsic_without_data(REQUEST, [ext])  # the truth unknown: nothing said
    folded = _card("dose-check", "Raise imatinib", absorbed=[{"code": "extrinsic-causes", "causes": [dose]}])
    assert extrinsic_without_data(REQUEST, [folded], below_standard=False)
    inhibitor = {"kind": "interaction", "phrase": "clarithromycin (strong CYP3A4 inhibitor: avoid)"}
    inducer = {"kind": "interaction", "phrase": "rifampicin (strong CYP3A4 inducer: avoid)"}
    assert extrinsic_without_data(REQUEST, [_card("extrinsic-causes", "Rule out", causes=[inhibitor])])
    assert not extrinsic_without_data(REQUEST, [_card("extrinsic-causes", "Rule out", causes=[inducer])])


def _phase_card(*data: dict[str, str]) -> dict[str, Any]:
    return _card("advanced-phase", "Treat as accelerated-phase CML", "critical", phase="accelerated", data=list(data))


def _ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def test_critical_on_stale_evidence() -> None:
    def stale(card: dict[str, Any], request: dict[str, Any] = REQUEST) -> list[Violation]:
        return critical_on_stale_evidence(request, [card], today=TODAY)

    assert stale(_phase_card({"label": "Blasts", "value": "20%", "date": _ago(100)}))
    assert not stale(_phase_card({"label": "Blasts", "value": "20%", "date": _ago(80)}))
    assert stale(_phase_card({"label": "Recorded phase", "value": "accelerated", "date": _ago(400)}))
    karyotype = {"label": "Additional chromosomal abnormalities on treatment", "value": "+8", "date": _ago(300)}
    assert not stale(_phase_card(karyotype))
    variant = {"label": "KD variant", "value": "T315I", "date": _ago(2000)}  # no window: never stale
    assert not stale(_phase_card({"label": "Blasts", "value": "20%", "date": _ago(100)}, variant))
    assert not stale(_phase_card({"label": "Recorded phase", "value": "accelerated"}))  # undated, unresolved
    old = condition("92818009", "CML, accelerated phase", onset=date(2021, 1, 1), ident="c-ap")
    request = hook_request(conditions=[old])
    undated = {"label": "Recorded phase", "value": "accelerated", "reference": "Condition/c-ap"}
    assert stale(_phase_card(undated), request)  # the date comes from the Condition the card cites
    assert not critical_on_stale_evidence(request, [_phase_card(undated)])  # no date given: not judged


def test_shuffle_changes_answer() -> None:
    assert not shuffle_changes_answer(REQUEST, [WARNING, SWITCH], reshuffled=[SWITCH, WARNING])
    assert shuffle_changes_answer(REQUEST, [WARNING, SWITCH], reshuffled=[FAILURE, SWITCH])
    request = hook_request(conditions=[condition("1", "a", ident="a"), condition("2", "b", ident="b")])
    request["prefetch"]["blasts"] = bundle(*({"resourceType": "Observation", "id": str(i)} for i in range(9)))
    mixed = shuffled(request, random.Random(1))  # noqa: S311
    assert mixed != request and shuffled(request, random.Random(1)) == mixed  # noqa: S311
    for key, value in request["prefetch"].items():
        if "entry" in value:
            assert sorted(map(str, mixed["prefetch"][key]["entry"])) == sorted(map(str, value["entry"]))


def test_tki_beside_pregnancy_stop() -> None:
    stop = _card("pregnancy", "Stop imatinib: pregnant", "critical", status="pregnant")
    planning = _card("pregnancy", "Planned pregnancy on imatinib", "warning", status="planning")
    assert tki_beside_pregnancy_stop(REQUEST, [stop, SWITCH])  # options offered
    assert tki_beside_pregnancy_stop(REQUEST, [stop, FAILURE])  # "Change TKI"
    assert not tki_beside_pregnancy_stop(REQUEST, [planning, SWITCH])
    assert not tki_beside_pregnancy_stop(REQUEST, [stop, _card("mutation-testing", "Order KD mutation testing")])


def test_violations_runs_every_rule() -> None:
    found = violations(REQUEST, [WARNING, FAILURE, SWITCH], today=TODAY)
    assert {v.rule for v in found} == {"two-eln-verdicts", "continue-beside-change"}
    assert not violations(REQUEST, [])
