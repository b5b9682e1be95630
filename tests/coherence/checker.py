"""One patient, one story: the cards of one CDS Hooks call must never contradict each other (issue #22).

Pure functions over the request and the cards as JSON, so that they judge exactly what an EHR shows. Each
rule is one function named after it; `violations` runs them all. A rule reads only what the cards say
(summary, detail, the `org.cmlcds.finding` extension); where the cards alone cannot show the truth (the
standard dose, today's date) the caller passes it in.
"""

from __future__ import annotations

import random
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import tki_resistance
from tki_resistance.findings import FindingCode
from tki_resistance.model import TKIS

__all__ = [
    "APPROVED_PHASES",
    "EXPOSURE_RAISERS",
    "PHASE_RECORD_MAX_AGE_DAYS",
    "RULES",
    "Violation",
    "card_key",
    "options",
    "shuffled",
    "tki_beside_pregnancy_stop",
    "violations",
]

Card = Mapping[str, Any]

#: Phases each TKI is approved in (US prescribing information: Gleevec, Sprycel, Tasigna, Bosulif, Iclusig,
#: Scemblix). Nilotinib: CP and AP only (no BP indication); asciminib: CP only (Ph+ CML-CP).
APPROVED_PHASES: dict[str, frozenset[str]] = {
    "imatinib": frozenset({"chronic", "accelerated", "blast"}),
    "dasatinib": frozenset({"chronic", "accelerated", "blast"}),
    "nilotinib": frozenset({"chronic", "accelerated"}),
    "bosutinib": frozenset({"chronic", "accelerated", "blast"}),
    "ponatinib": frozenset({"chronic", "accelerated", "blast"}),
    "asciminib": frozenset({"chronic"}),
}
#: Strong CYP3A4 inhibitors: they *raise* TKI exposure (a safety interaction), never explain resistance.
EXPOSURE_RAISERS = frozenset(
    {"clarithromycin", "itraconazole", "ketoconazole", "voriconazole", "posaconazole", "ritonavir", "cobicistat"}
)
#: A disease phase recorded (Condition / staging) more than a year ago does not show today's phase.
PHASE_RECORD_MAX_AGE_DAYS = 365
#: Card data labels (`extension.data[].label`) → the `evidence` key of evidence_windows.toml.
_WINDOW_KINDS = {
    "Blasts": "blasts",
    "Blasts + promyelocytes": "blasts-promyelocytes",
    "Basophils (blood)": "basophils",
    "Platelets": "platelets",
    "Additional chromosomal abnormalities on treatment": "karyotype",
    "Pregnancy": "pregnancy",
    "Breastfeeding": "breastfeeding",
}
_VERDICT_CODES = {FindingCode.MILESTONE_WARNING.value, FindingCode.MILESTONE_FAILURE.value}
_TKI_WORD = re.compile(r"\b(" + "|".join(TKIS) + r")\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+|\n+")
_CONTINUE = re.compile(r"\bcontinu(e|ing)\b", re.IGNORECASE)
_CHANGE = re.compile(r"\bchange (the )?(tki|treatment)\b", re.IGNORECASE)
_SWITCH = re.compile(r"\bswitch from (\w+)", re.IGNORECASE)
_SPARED = re.compile(r"\((?:other than|except|not) ([^)]*)\)", re.IGNORECASE)
_OPTIONS = re.compile(r"\boptions\b(.*)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Violation:
    """One contradiction: the rule broken and what the cards said."""

    rule: str
    message: str


def finding(card: Card) -> dict[str, Any]:
    value: dict[str, Any] = (card.get("extension") or {}).get("org.cmlcds.finding") or {}
    return value


def _code(card: Card) -> str:
    return str(finding(card).get("code", ""))


def _texts(card: Card) -> list[str]:
    """What a clinician reads: summary, detail (its "What to do" line included), and any extension action."""
    return [t for t in (card.get("summary"), card.get("detail"), finding(card).get("action")) if isinstance(t, str)]


def _sentences(card: Card) -> Iterable[str]:
    for text in _texts(card):
        yield from (s for s in _SENTENCE_END.split(text) if s.strip())


def _named(text: str) -> set[str]:
    return {m.lower() for m in _TKI_WORD.findall(text)}


def current_tkis(request: Mapping[str, Any]) -> set[str]:
    """TKIs of active MedicationStatements without an end: what an unnamed "the TKI" refers to."""
    bundle = (request.get("prefetch") or {}).get("medicationStatements") or {}
    found: set[str] = set()
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource") or {}
        if resource.get("status") == "active" and not (resource.get("effectivePeriod") or {}).get("end"):
            found |= _named(str((resource.get("medicationCodeableConcept") or {}).get("text", "")))
    return found


def _card_drugs(card: Card, request: Mapping[str, Any]) -> set[str]:
    """The TKI a card is about: its extension `drug`, else the TKIs its summary names, else the current."""
    drug = finding(card).get("drug")
    if isinstance(drug, str) and drug in TKIS:
        return {drug}
    return _named(str(card.get("summary", ""))) or current_tkis(request)


def options(card: Card) -> set[str]:
    """TKIs a card offers: `remaining` in the extension, "options …" in the summary, "Remaining options" lines."""
    offered = {t for t in finding(card).get("remaining") or [] if t in TKIS}
    lines = [str(card.get("summary", ""))]
    lines += [line for text in _texts(card)[1:] for line in text.splitlines() if "Remaining options" in line]
    for line in lines:
        if match := _OPTIONS.search(line):
            offered |= _named(match.group(1).split("; not ")[0])
    return offered


def _verdicts(cards: Sequence[Card]) -> list[tuple[str, str]]:
    """(eln, summary) of every card carrying an ELN verdict on the current line."""
    return [
        (str(finding(c)["response"]["eln"]), str(c.get("summary", "")))
        for c in cards
        if _code(c) in _VERDICT_CODES
        and isinstance(finding(c).get("response"), dict)
        and "eln" in finding(c)["response"]
    ]


def two_eln_verdicts(request: Mapping[str, Any], cards: Sequence[Card], **_: Any) -> list[Violation]:
    """`two-eln-verdicts`: one line has one ELN verdict; a second card (or a different class) is a second story.

    The info TFR-goal card (`extra.tfrGoal`) is a verdict for another goal: it counts only when it differs."""
    main = [c for c in cards if c.get("indicator") in ("warning", "critical") and not finding(c).get("tfrGoal")]
    goal = [c for c in cards if finding(c).get("tfrGoal")]
    shown = _verdicts(main)
    elns = {eln for eln, _ in shown}
    shown += [v for v in _verdicts(goal) if elns and v[0] not in elns]
    if len(shown) < 2:
        return []
    return [Violation("two-eln-verdicts", " | ".join(f"{eln}: {summary}" for eln, summary in shown))]


def continue_beside_change(request: Mapping[str, Any], cards: Sequence[Card], **_: Any) -> list[Violation]:
    """`continue-beside-change`: one card weighs continuing a TKI while another says change it."""
    keep: dict[int, set[str]] = {}
    change: dict[int, set[str]] = {}
    for index, card in enumerate(cards):
        for sentence in _sentences(card):
            spared = {t for m in _SPARED.findall(sentence) for t in _named(m)}  # "continue (other than imatinib)"
            drugs = _named(_SPARED.sub("", sentence))
            if _CONTINUE.search(sentence) and (drugs or re.search(r"\bTKI\b", sentence)):
                keep.setdefault(index, set()).update((drugs or _card_drugs(card, request)) - spared)
            switched = {m.lower() for m in _SWITCH.findall(sentence) if m.lower() in TKIS}
            if _CHANGE.search(sentence):
                switched |= drugs or _card_drugs(card, request)
            if switched:
                change.setdefault(index, set()).update(switched)
    found = []
    for i, kept in keep.items():
        for j, changed in change.items():
            if i != j and kept & changed:
                found.append(
                    Violation(
                        "continue-beside-change",
                        f"{', '.join(sorted(kept & changed))}: «{cards[i].get('summary')}» "
                        f"beside «{cards[j].get('summary')}»",
                    )
                )
    return found


def excluded(cards: Sequence[Card]) -> dict[str, str]:
    """TKIs some card of the call excludes, with the card that does: avoid lists, failures, prior failures."""
    out: dict[str, str] = {}
    for card in cards:
        ext, summary = finding(card), str(card.get("summary", ""))
        for tki in [*(ext.get("avoid") or []), *(ext.get("failedTkis") or [])]:
            out.setdefault(tki, summary)
        if _code(card) == FindingCode.PRIOR_FAILURE.value and ext.get("drug") in TKIS:
            out.setdefault(ext["drug"], summary)
        if _code(card) == FindingCode.MILESTONE_FAILURE.value and not ext.get("labelStep"):
            # a failure at a label-reduced dose leads with re-escalation of the same TKI: not excluded
            for tki in _named(summary):
                out.setdefault(tki, summary)
    return out


def option_excluded(
    request: Mapping[str, Any],
    cards: Sequence[Card],
    *,
    orders: Mapping[str, Sequence[Card]] | None = None,
    **_: Any,
) -> list[Violation]:
    """`option-excluded`: a TKI offered as an option that another card, or ordering it (`orders`: the
    order-select cards for a draft of each option), excludes."""
    out = excluded(cards)
    found = []
    for card in cards:
        for tki in sorted(options(card)):
            if tki in out:
                found.append(Violation("option-excluded", f"{tki}: «{card.get('summary')}» beside «{out[tki]}»"))
            for order in (orders or {}).get(tki, ()):
                withheld = _code(order) in (FindingCode.AVOID_TKI.value, FindingCode.PRIOR_FAILURE.value)
                if withheld and finding(order).get("withhold") is True:
                    found.append(
                        Violation(
                            "option-excluded",
                            f"{tki}: «{card.get('summary')}» yet ordering it: «{order.get('summary')}»",
                        )
                    )
    return found


def option_outside_phase(request: Mapping[str, Any], cards: Sequence[Card], **_: Any) -> list[Violation]:
    """`option-outside-phase`: a TKI offered in a phase its label does not cover (`APPROVED_PHASES`)."""
    phases = {str(finding(c).get("phase")) for c in cards if _code(c) == FindingCode.ADVANCED_PHASE.value}
    found = []
    for card in cards:
        for tki in sorted(options(card)):
            for phase in sorted(phases - APPROVED_PHASES.get(tki, frozenset(phases))):
                found.append(
                    Violation("option-outside-phase", f"{tki} offered in {phase} phase: «{card.get('summary')}»")
                )
    return found


def causes(card: Card) -> list[dict[str, Any]]:
    """The extrinsic causes a card carries, its own and those folded into it (`absorbed`)."""
    ext = finding(card)
    items = list(ext.get("causes") or [])
    for guest in ext.get("absorbed") or []:
        items += guest.get("causes") or []
    return [c for c in items if isinstance(c, dict)]


def extrinsic_without_data(
    request: Mapping[str, Any], cards: Sequence[Card], *, below_standard: bool | None = None, **_: Any
) -> list[Violation]:
    """`extrinsic-without-data`: a cause the record does not show. A dose "below standard" when it is not
    (`below_standard`: the truth for the current dose, line and the phase the line started in), or an
    exposure-*raising* inhibitor offered as a cause of resistance (it is a safety interaction)."""
    found = []
    for card in cards:
        for cause in causes(card):
            phrase = str(cause.get("phrase", ""))
            if cause.get("kind") == "dose-below-standard" and below_standard is False:
                found.append(Violation("extrinsic-without-data", f"dose is standard, yet «{phrase}»"))
            raiser = {w for w in re.findall(r"[a-z]+", phrase.lower()) if w in EXPOSURE_RAISERS}
            if cause.get("kind") == "interaction" and (raiser or re.search(r"CYP3A4? inhibitor", phrase)):
                found.append(Violation("extrinsic-without-data", f"inhibitor as a cause of resistance: «{phrase}»"))
    return found


@cache
def evidence_windows() -> dict[str, int]:
    """`max_age_days` by evidence kind from the knowledge base's evidence_windows.toml, plus the phase."""
    path = next(Path(tki_resistance.__file__).parent.rglob("evidence_windows.toml"))
    rows = tomllib.loads(path.read_text())["window"]
    return {str(row["evidence"]): int(row["max_age_days"]) for row in rows} | {"phase": PHASE_RECORD_MAX_AGE_DAYS}


def _kind(label: str) -> str | None:
    return "phase" if label == "Recorded phase" else _WINDOW_KINDS.get(label)


def _record_dates(request: Mapping[str, Any]) -> dict[str, str]:
    """ "Type/id" → the date the record carries (effective, recorded, onset), for data points the card left
    undated (a recorded phase cites its Condition without the date)."""
    dates: dict[str, str] = {}
    for value in (request.get("prefetch") or {}).values():
        for entry in (value or {}).get("entry") or [] if isinstance(value, dict) else []:
            r = entry.get("resource") or {}
            when = r.get("effectiveDateTime") or r.get("recordedDate") or r.get("onsetDateTime")
            when = when or (r.get("onsetPeriod") or {}).get("start")
            if when:
                dates[f"{r.get('resourceType')}/{r.get('id')}"] = str(when)
    return dates


def critical_on_stale_evidence(
    request: Mapping[str, Any], cards: Sequence[Card], *, today: date | None = None, **_: Any
) -> list[Violation]:
    """`critical-on-stale-evidence`: a critical card whose every dated data point is past its window."""
    if today is None:
        return []
    windows, records, found = evidence_windows(), _record_dates(request), []
    for card in (c for c in cards if c.get("indicator") == "critical"):
        data = [
            {**d, "date": d.get("date") or records.get(str(d.get("reference")))}
            for d in finding(card).get("data") or []
        ]
        dated = [d for d in data if d.get("date")]
        ages = [(d, (today - date.fromisoformat(str(d["date"])[:10])).days) for d in dated]
        stale = [(d, age) for d, age in ages if (kind := _kind(str(d.get("label")))) and age > windows.get(kind, age)]
        if dated and len(stale) == len(dated):
            said = "; ".join(f"{d['label']} {d.get('value')} ({d['date']}, {age} days)" for d, age in stale)
            found.append(Violation("critical-on-stale-evidence", f"«{card.get('summary')}» rests on {said}"))
    return found


def card_key(card: Card) -> tuple[str, str, str]:
    return (_code(card), str(card.get("indicator")), str(card.get("summary")))


def shuffle_changes_answer(
    request: Mapping[str, Any], cards: Sequence[Card], *, reshuffled: Sequence[Card] | None = None, **_: Any
) -> list[Violation]:
    """`shuffle-changes-answer`: the order of Bundle entries is not data; the same record, the same cards.

    Compared as sorted (code, indicator, summary): uuids follow a card's position and may move with it."""
    if reshuffled is None:
        return []
    before, after = sorted(map(card_key, cards)), sorted(map(card_key, reshuffled))
    if before == after:
        return []
    gone, new = sorted(set(before) - set(after)), sorted(set(after) - set(before))
    return [Violation("shuffle-changes-answer", f"lost {gone} gained {new}")]


def shuffled(request: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    """The request with the entries of every prefetch Bundle, and the prefetch keys, in another order."""
    prefetch = dict(request.get("prefetch") or {})
    keys = list(prefetch)
    rng.shuffle(keys)
    out: dict[str, Any] = {}
    for key in keys:
        value = prefetch[key]
        if isinstance(value, dict) and isinstance(value.get("entry"), list):
            entries = list(value["entry"])
            rng.shuffle(entries)
            value = {**value, "entry": entries}
        out[key] = value
    return {**request, "prefetch": out}


Rule = Callable[..., list[Violation]]
_PUSHES_A_TKI = re.compile(r"\b(change tki|switch from|re-escalate|raise|restart|reduce)\b", re.IGNORECASE)


def tki_beside_pregnancy_stop(request: Mapping[str, Any], cards: Sequence[Card], **_: Any) -> list[Violation]:
    """`tki-beside-pregnancy-stop`: a pregnancy card says no TKI now (pregnant or breastfeeding), yet another
    card offers a TKI or tells the clinician to change, raise, reduce or restart one."""
    stop = [c for c in cards if _code(c) == "pregnancy" and finding(c).get("status") in ("pregnant", "breastfeeding")]
    if not stop:
        return []
    found = []
    for card in cards:
        if card in stop:
            continue
        offered = sorted(options(card))
        if offered:
            found.append(Violation("tki-beside-pregnancy-stop", f"{offered} offered: «{card.get('summary')}»"))
        elif _PUSHES_A_TKI.search(str(card.get("summary", ""))):
            found.append(Violation("tki-beside-pregnancy-stop", f"«{card.get('summary')}» beside a pregnancy stop"))
    return found


RULES: dict[str, Rule] = {
    "two-eln-verdicts": two_eln_verdicts,
    "continue-beside-change": continue_beside_change,
    "option-excluded": option_excluded,
    "option-outside-phase": option_outside_phase,
    "extrinsic-without-data": extrinsic_without_data,
    "critical-on-stale-evidence": critical_on_stale_evidence,
    "shuffle-changes-answer": shuffle_changes_answer,
    "tki-beside-pregnancy-stop": tki_beside_pregnancy_stop,
}


def violations(request: Mapping[str, Any], cards: Sequence[Card], **context: Any) -> list[Violation]:
    """Every rule over one call. `context`: `today`, `below_standard`, `orders`, `reshuffled` (rules that
    lack what they need say nothing)."""
    return [v for rule in RULES.values() for v in rule(request, cards, **context)]
