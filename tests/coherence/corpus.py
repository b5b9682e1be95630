"""A seeded corpus of CML courses, each with the truth its generator knows (issue #22 coherence checks).

Courses are built with tests/builders.py as the repository's own course tests build them: 1–4 treatment
lines stopped for resistance, intolerance or a treatment-free remission attempt; standard, reduced,
escalated and odd doses; BCR::ABL1 series that respond, lose the response, relapse after a TFR stop, with
same-day duplicates that disagree and undetectable ("<") results; kinase-domain variants; advanced phase
recorded now, at the line's start or years ago; karyotypes with additional abnormalities; co-medications;
now and then a pregnancy or a renal function result. `Truth` is what the cards cannot be asked: the dose
the label calls standard for the current line and the phase that line started in.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tests.builders import (
    TODAY,
    bcr_abl1,
    bundle,
    condition,
    days_after,
    haplotype,
    hook_request,
    kd_variant,
    lab_observation,
    tki_statement,
)

__all__ = ["STANDARD_DAILY_MG", "GeneratedCourse", "Truth", "generate", "iterate"]

#: The standard daily dose by (TKI, line, phase at the line's start), from the US labels: imatinib 400 CP,
#: 600 AP/BP; dasatinib 100 CP, 140 AP/BP; nilotinib 300 BID newly diagnosed, 400 BID resistant/intolerant
#: and AP; bosutinib 400 newly diagnosed, 500 previously treated and AP/BP; ponatinib 45; asciminib 80/day
#: (40 BID or 80 QD) in CP. No row: the label has no such indication (ponatinib first line, asciminib AP/BP).
STANDARD_DAILY_MG: dict[tuple[str, str, str], float] = {
    ("imatinib", "first", "chronic"): 400,
    ("imatinib", "later", "chronic"): 400,
    ("imatinib", "first", "advanced"): 600,
    ("imatinib", "later", "advanced"): 600,
    ("dasatinib", "first", "chronic"): 100,
    ("dasatinib", "later", "chronic"): 100,
    ("dasatinib", "first", "advanced"): 140,
    ("dasatinib", "later", "advanced"): 140,
    ("nilotinib", "first", "chronic"): 600,
    ("nilotinib", "later", "chronic"): 800,
    ("nilotinib", "first", "advanced"): 800,
    ("nilotinib", "later", "advanced"): 800,
    ("bosutinib", "first", "chronic"): 400,
    ("bosutinib", "later", "chronic"): 500,
    ("bosutinib", "first", "advanced"): 500,
    ("bosutinib", "later", "advanced"): 500,
    ("ponatinib", "later", "chronic"): 45,
    ("ponatinib", "later", "advanced"): 45,
    ("asciminib", "first", "chronic"): 80,
    ("asciminib", "later", "chronic"): 80,
}
#: (mg per dose, doses per day) for each way a dose is chosen.
_DOSES: dict[str, dict[str, list[tuple[float, int]]]] = {
    "imatinib": {"reduced": [(300, 1), (200, 1)], "escalated": [(600, 1), (400, 2)], "weird": [(100, 1), (500, 1)]},
    "dasatinib": {"reduced": [(50, 1), (70, 1), (80, 1)], "escalated": [(140, 1)], "weird": [(20, 1), (60, 1)]},
    "nilotinib": {"reduced": [(400, 1), (200, 2)], "escalated": [(400, 2)], "weird": [(150, 2), (450, 2)]},
    "bosutinib": {"reduced": [(300, 1), (200, 1)], "escalated": [(600, 1)], "weird": [(100, 1)]},
    "ponatinib": {"reduced": [(30, 1), (15, 1)], "escalated": [(45, 1)], "weird": [(10, 1)]},
    "asciminib": {"reduced": [(20, 2), (40, 1)], "escalated": [(200, 2)], "weird": [(60, 1)]},
}
_VARIANTS = {"T315I": "Thr315Ile", "F317L": "Phe317Leu", "Y253H": "Tyr253His", "E255K": "Glu255Lys"}
_VARIANTS |= {"V299L": "Val299Leu", "E255V": "Glu255Val"}
_COMEDS = (
    "clarithromycin",
    "itraconazole",
    "ketoconazole",
    "rifampicin",
    "carbamazepine",
    "omeprazole",
    "esomeprazole",
    "atorvastatin",
    "amlodipine",
    "citalopram",
    "metformin",
    "warfarin",
)
_KARYOTYPES = {
    "+8": "47,XY,+8,t(9;22)(q34;q11.2)[14]/46,XY,t(9;22)(q34;q11.2)[6]",
    "i(17q)": "46,XY,t(9;22)(q34;q11.2),i(17)(q10)[20]",
    "3q26.2": "46,XY,t(9;22)(q34;q11.2),inv(3)(q21q26.2)[18]/46,XY[2]",
    "none": "46,XY,t(9;22)(q34;q11.2)[20]",
}
_UNDETECTABLE = 0.0032
_CML = "92818009"


@dataclass(frozen=True, slots=True)
class Truth:
    """What the generator knows about a course: the story in one line and the current dose's standing."""

    story: str
    current_drug: str | None
    daily_dose_mg: float | None
    line_number: int
    phase_at_line_start: str  # chronic, accelerated, blast
    standard_daily_mg: float | None
    below_standard: bool | None  # None: no label row, or the label allows this lower dose here


@dataclass(frozen=True, slots=True)
class GeneratedCourse:
    name: str
    request: dict[str, Any]
    truth: Truth


@dataclass(slots=True)
class _Line:
    drug: str
    start: date
    end: date | None
    stop: str  # "", resistance, intolerance, treatment-free remission
    records: list[tuple[date, date | None, float, int, str]]  # start, end, mg per dose, per day, why it ended
    phase_at_start: str = "chronic"


class _Builder:
    """One course: the records, their ids (stable per course) and the story told so far."""

    def __init__(self, rng: random.Random, index: int) -> None:
        self.rng, self.index, self.count = rng, index, 0
        self.story: list[str] = []
        self.transcripts: list[dict[str, Any]] = []
        self.medications: list[dict[str, Any]] = []
        self.variants: list[dict[str, Any]] = []
        self.conditions: list[dict[str, Any]] = []
        self.keys: dict[str, list[dict[str, Any]]] = {"blasts": [], "karyotype": [], "bloodCounts": []}

    def ident(self, kind: str) -> str:
        self.count += 1
        return f"g{self.index}-{kind}{self.count}"

    def result(self, taken: date, log10: float) -> None:
        if taken > TODAY:
            return
        if log10 <= math.log10(_UNDETECTABLE):
            self.transcripts.append(bcr_abl1(taken, _UNDETECTABLE, comparator="<", ident=self.ident("bcr")))
        else:
            self.transcripts.append(bcr_abl1(taken, round(10**log10, 4), ident=self.ident("bcr")))


def _ago(months: float) -> date:
    return days_after(TODAY, -months)


def _dose(rng: random.Random, drug: str, line: int, phase: str) -> tuple[float, int]:
    standard = STANDARD_DAILY_MG.get((drug, "first" if line == 1 else "later", _adv(phase)))
    how = rng.choices(["standard", "reduced", "escalated", "weird"], [65, 15, 10, 10])[0]
    if how == "standard" and standard is not None:
        per_day = 2 if drug == "nilotinib" or (drug == "asciminib" and rng.random() < 0.6) else 1
        return standard / per_day, per_day
    return rng.choice(_DOSES[drug]["reduced" if how == "standard" else how])


def _adv(phase: str) -> str:
    return "chronic" if phase == "chronic" else "advanced"


def _lines(b: _Builder) -> list[_Line]:
    rng = b.rng
    count = rng.choices([1, 2, 3, 4], [45, 30, 17, 8])[0]
    first = rng.choices(["imatinib", "dasatinib", "nilotinib", "bosutinib", "asciminib"], [8, 4, 4, 2, 1])[0]
    drugs = [first]
    while len(drugs) < count:
        left = [
            t for t in ("imatinib", "dasatinib", "nilotinib", "bosutinib", "ponatinib", "asciminib") if t not in drugs
        ]
        drugs.append(rng.choices(left, [4 if t in ("ponatinib", "asciminib") else 2 for t in left])[0])
    durations = [rng.uniform(3, 40) for _ in drugs[:-1]] + [rng.uniform(0.5, 72)]
    start = _ago(sum(durations))
    lines = []
    for k, (drug, months) in enumerate(zip(drugs, durations, strict=True)):
        end = days_after(start, months) if k < count - 1 else None
        stop = rng.choices(["resistance", "intolerance"], [6, 4])[0] if end else ""
        lines.append(_Line(drug, start, end, stop, []))
        start = end or start
    return lines


def _phase(b: _Builder, lines: list[_Line]) -> str:
    """The advanced-phase story, if any; sets each line's phase at its start and records the phase."""
    rng, current = b.rng, lines[-1]
    story = rng.choices(["none", "at-line-start", "old", "now"], [76, 8, 8, 8])[0]
    kind = rng.choices(["accelerated", "blast"], [7, 3])[0]
    text = {
        "accelerated": "Chronic myeloid leukaemia, accelerated phase",
        "blast": "Chronic myeloid leukaemia in blast crisis",
    }
    if story == "at-line-start":
        when = current.start - timedelta(days=rng.randint(0, 20))
        current.phase_at_start = kind
        b.conditions.append(condition(_CML, text[kind], onset=when, ident=b.ident("cond")))
        b.story.append(f"{kind} phase recorded {when} at the current line's start")
    elif story == "old":
        when = lines[0].start - timedelta(days=rng.randint(0, 20))
        for line in lines:
            line.phase_at_start = kind if (line.start - when).days <= 180 else "chronic"
        b.conditions.append(condition(_CML, text[kind], onset=when, ident=b.ident("cond")))
        regained = rng.random() < 0.5
        if regained:
            b.conditions.append(
                condition(
                    _CML, "Chronic myeloid leukaemia, chronic phase", onset=days_after(when, 8), ident=b.ident("cond")
                )
            )
        b.story.append(
            f"{kind} phase recorded {when}"
            + (", chronic phase recorded 8 months later" if regained else ", back in CP 6 months later (not recorded)")
        )
    elif story == "now" and (TODAY - current.start).days > 60:
        when = TODAY - timedelta(days=rng.randint(7, min(300, (TODAY - current.start).days - 30)))
        how = rng.choice(["condition", "blasts", "karyotype"])
        if how == "condition":
            b.conditions.append(condition(_CML, text[kind], onset=when, ident=b.ident("cond")))
        elif how == "blasts":
            value = 20.0 if kind == "accelerated" else 35.0
            b.keys["blasts"].append(lab_observation("26446-5", when, value=value, unit="%", ident=b.ident("blast")))
        else:
            aca = rng.choice(["+8", "i(17q)", "3q26.2"])
            b.keys["karyotype"].append(
                lab_observation("x", when, text="Karyotype", value=_KARYOTYPES[aca], ident=b.ident("karyo"))
            )
            kind = "accelerated"
        b.story.append(f"{kind} phase by {how} {when}, after the current line started in chronic phase")
    elif rng.random() < 0.5:
        b.conditions.append(
            condition(_CML, "Chronic myeloid leukaemia, chronic phase", onset=lines[0].start, ident=b.ident("cond"))
        )
    return story


def _doses(b: _Builder, lines: list[_Line]) -> None:
    seen: list[str] = []
    for line in lines:
        seen += [] if line.drug in seen else [line.drug]
        mg, per_day = _dose(b.rng, line.drug, len(seen), line.phase_at_start)
        line.records.append((line.start, line.end, mg, per_day, line.stop))
        if line.end is None and (TODAY - line.start).days > 120 and b.rng.random() < 0.12:
            change = days_after(line.start, b.rng.uniform(1, (TODAY - line.start).days / 30.44 - 1))
            new = _dose(b.rng, line.drug, len(seen), line.phase_at_start)
            line.records = [(line.start, change, mg, per_day, "dose change"), (change, None, *new, "")]


def _medications(b: _Builder, lines: list[_Line]) -> None:
    for line in lines:
        for start, end, mg, per_day, reason in line.records:
            if end is None:
                b.medications.append(tki_statement(line.drug, start, dose_mg=mg, per_day=per_day, ident=b.ident("ms")))
                continue
            status = "completed" if reason == "dose change" else b.rng.choice(["stopped", "completed"])
            b.medications.append(
                tki_statement(
                    line.drug, start, end=end, status=status, dose_mg=mg, per_day=per_day,
                    statusReason=[{"text": reason}], ident=b.ident("ms"),
                )
            )  # fmt: skip


def _series(b: _Builder, line: _Line, level: float, response: str, until: date) -> float:
    """Results on one line from `level` (log10 %): quarterly, then every 3–6 months; returns the last level."""
    rng, months, nadir = b.rng, 0.0, level
    rate = {"good": rng.uniform(0.25, 0.6), "slow": rng.uniform(0.05, 0.15), "refractory": rng.uniform(0.0, 0.05)}
    rate["loss"] = rate["good"]
    length = (until - line.start).days / 30.44
    turn = rng.uniform(0.4, 0.85) * length
    while True:
        months += 3 if months < 12 else rng.choice([3, 4, 6])
        if months > length:
            return level
        if response == "loss" and months > turn:
            level = min(2.0, nadir + rng.uniform(0.5, 1.2) * (months - turn) / 3)
        else:
            level = max(math.log10(_UNDETECTABLE) - 0.5, level - rate[response] * (3 if months <= 12 else 4))
            nadir = level
        taken = days_after(line.start, months) + timedelta(days=rng.randint(-12, 12))
        b.result(taken, level + rng.gauss(0, 0.15))
        if rng.random() < 0.03:  # a same-day second result from another lab that disagrees by ~2 logs
            b.result(taken, level + rng.choice([-2, 2]) + rng.gauss(0, 0.3))


def _results(b: _Builder, lines: list[_Line], tfr: str) -> str:
    rng = b.rng
    level = math.log10(rng.uniform(20, 100))
    for line in lines[:-1]:
        response = "refractory" if line.stop == "resistance" and rng.random() < 0.5 else "slow"
        response = "good" if line.stop == "intolerance" else response
        if line.stop == "resistance":
            level = max(level, math.log10(rng.uniform(1, 30)))
        level = _series(b, line, level, response, line.end or TODAY)
    current = lines[-1]
    response = rng.choices(["good", "slow", "loss", "refractory"], [55, 20, 15, 10])[0]
    if tfr:
        response = "good"
    if response in ("refractory", "slow") and len(lines) > 1:  # a new line after resistance starts high
        level = max(level, math.log10(rng.uniform(1, 30)))
    _series(b, current, level, response, current.end or TODAY)
    if rng.random() < 0.1 and b.transcripts:  # overdue: the last months' results are missing
        cut = _ago(rng.uniform(6, 12))
        b.transcripts = [t for t in b.transcripts if date.fromisoformat(t["effectiveDateTime"]) < cut]
    return response


def _tfr(b: _Builder, lines: list[_Line]) -> str:
    """A TFR stop of the current (long, deep) line: remission, relapse, or relapse and restart."""
    current = lines[-1]
    if (TODAY - current.start).days < 5 * 365 or b.rng.random() > 0.25:
        return ""
    stop = _ago(b.rng.uniform(2, 20))
    current.end, current.stop = stop, "treatment-free remission"
    start, _, mg, per_day, _ = current.records[-1]
    current.records[-1] = (start, stop, mg, per_day, current.stop)
    return b.rng.choice(["remission", "relapse", "restart"])


def _after_tfr(b: _Builder, lines: list[_Line], outcome: str) -> None:
    stop = lines[-1].end
    assert stop is not None
    months = (TODAY - stop).days / 30.44
    relapse_at = b.rng.uniform(2, 6)
    restarted = outcome == "restart" and months > relapse_at + 1
    for m in range(1, int(months) + 1):
        level = math.log10(_UNDETECTABLE) - 0.3
        if outcome != "remission" and m >= relapse_at:
            level = min(0.5, -3 + (m - relapse_at) * 0.8)
        if restarted and m > relapse_at + 1:
            level = max(level - 0.5 * (m - relapse_at - 1), math.log10(_UNDETECTABLE) - 0.3)
        b.result(days_after(stop, m), level)
    if restarted:
        restart = days_after(stop, relapse_at + 1)
        _, _, mg, per_day, _ = lines[-1].records[-1]
        lines[-1].records.append((restart, None, mg, per_day, ""))
        lines[-1].end = None


def _mutations(b: _Builder, lines: list[_Line], response: str) -> list[str]:
    rng = b.rng
    resistant = [line for line in lines if line.stop == "resistance"]
    if response in ("loss", "refractory"):
        resistant.append(lines[-1])
    if not resistant or rng.random() > 0.5:
        return []
    line = rng.choice(resistant)
    taken = min(TODAY - timedelta(days=3), (line.end or TODAY) - timedelta(days=rng.randint(3, 60)))
    found = rng.choices(["T315I", "F317L", "Y253H", "E255K", "V299L", "T315I/E255V", "none"], [5, 2, 2, 2, 2, 1, 4])[0]
    if found == "none":
        b.variants.append(kd_variant(taken, None, ident=b.ident("var")))
        return []
    members = [kd_variant(taken, _VARIANTS[name], vaf=0.3, ident=b.ident("var")) for name in found.split("/")]
    b.variants += members
    if len(members) > 1:
        b.variants.append(haplotype(taken, *members, ident=b.ident("hap")))
    b.story.append(f"KD {found} ({taken})")
    return found.split("/")


def _context(b: _Builder) -> None:
    """Co-medications, pregnancy, renal function, stale blasts and karyotypes: the noise of a real record."""
    rng = b.rng
    for name in rng.sample(_COMEDS, rng.choices([0, 1, 2], [65, 25, 10])[0]):
        b.medications.append(tki_statement(name, _ago(rng.uniform(1, 30)), ident=b.ident("co")))
        b.story.append(f"with {name}")
    if rng.random() < 0.02:
        b.conditions.append(condition("77386006", "Pregnancy", onset=_ago(2), ident=b.ident("preg")))
        b.story.append("pregnant")
    if rng.random() < 0.05:
        loinc = rng.choice(["62238-1", "2164-2"])
        value = round(rng.uniform(15, 90))
        b.keys["bloodCounts"].append(
            lab_observation(loinc, _ago(1), value=value, unit="mL/min", ident=b.ident("renal"))
        )
    if rng.random() < 0.04:
        when = _ago(rng.uniform(4, 30))
        b.keys["blasts"].append(lab_observation("26446-5", when, value=18.0, unit="%", ident=b.ident("blast")))
        b.story.append(f"blasts 18% on {when}")
    if rng.random() < 0.05:
        aca = rng.choice(["+8", "i(17q)", "3q26.2", "none"])
        when = _ago(rng.uniform(13, 40))
        b.keys["karyotype"].append(
            lab_observation("x", when, text="Karyotype", value=_KARYOTYPES[aca], ident=b.ident("karyo"))
        )
        b.story.append(f"karyotype {aca} on {when}")


def _truth(b: _Builder, lines: list[_Line], mutations: list[str]) -> Truth:
    current = lines[-1]
    drugs: list[str] = []
    for line in lines:
        drugs += [] if line.drug in drugs else [line.drug]
    number = len(drugs)
    story = "; ".join(
        f"L{k + 1} {line.drug} "
        + ", ".join(f"{mg * n:g} mg/d {s}→" + (f"{e} ({why})" if e else "now") for s, e, mg, n, why in line.records)
        + (f" [{line.phase_at_start} at start]" if line.phase_at_start != "chronic" else "")
        for k, line in enumerate(lines)
    )
    last = sorted(b.transcripts, key=lambda t: t["effectiveDateTime"])[-3:]
    story += "; results " + ", ".join(
        f"{t['effectiveDateTime']} {t['valueQuantity'].get('comparator', '')}{t['valueQuantity']['value']:g}%"
        for t in last
    )
    story += "".join(f"; {part}" for part in b.story)
    if current.end is not None:
        return Truth(story, None, None, number, current.phase_at_start, None, None)
    _, _, mg, per_day, _ = current.records[-1]
    daily = mg * per_day
    standard = STANDARD_DAILY_MG.get((current.drug, "first" if number == 1 else "later", _adv(current.phase_at_start)))
    below: bool | None = None if standard is None else daily < standard
    low_response = any(
        t["valueQuantity"]["value"] <= 1 and date.fromisoformat(t["effectiveDateTime"]) >= current.start
        for t in b.transcripts
    )
    if (current.drug == "ponatinib" and low_response) or (current.drug == "asciminib" and "T315I" in mutations):
        below = None  # the label's reduced (ponatinib ≤1%) or raised (asciminib T315I) dose: not plain standard
    return Truth(story, current.drug, daily, number, current.phase_at_start, standard, below)


def _course(rng: random.Random, index: int) -> GeneratedCourse:
    b = _Builder(rng, index)
    lines = _lines(b)
    _phase(b, lines)
    _doses(b, lines)
    tfr = _tfr(b, lines)
    response = _results(b, lines, tfr)
    if tfr:
        _after_tfr(b, lines, tfr)
        b.story.append(f"TFR stop {tfr}")
    _medications(b, lines)
    mutations = _mutations(b, lines, response)
    _context(b)
    request = hook_request(
        transcripts=b.transcripts, medications=b.medications, variants=b.variants, conditions=b.conditions
    )
    request["hookInstance"] = f"00000000-0000-4000-8000-{index:012d}"
    for key, resources in b.keys.items():
        request["prefetch"][key] = bundle(*resources)
    truth = _truth(b, lines, mutations)
    return GeneratedCourse(f"g{index} {response}", request, truth)


def generate(count: int = 2000, seed: int = 22) -> list[GeneratedCourse]:
    """`count` courses from `seed`: the same seed, the same corpus."""
    return list(iterate(count, seed))


def iterate(count: int, seed: int = 22) -> Iterator[GeneratedCourse]:
    """`generate`, one course at a time (bench/population.py makes 100,000 without holding them)."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible corpus, not a secret
    for index in range(count):
        yield _course(rng, index)
