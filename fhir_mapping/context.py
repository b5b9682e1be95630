"""Disease context besides BCR::ABL1 and mutations: blasts, karyotype, transcript type, transplant.

* Blast percentage: LOINC codes in `terminology.BLAST_PERCENT`, or an Observation named "blasts … marrow /
  blood" (no marrow-blast LOINC code was verified), with unit `%`; the latest result wins, with its date.
  Named "blasts + promyelocytes": the ELN AP criterion of that name.
* Blood counts: basophils % (LOINC 706-2), platelets 10⁹/L (26515-7, 777-3); the latest of each, dated.
* Karyotype: an ISCN string (a Genomics Reporting "Variant ISCN" 81291-7 component, a value that looks
  like ISCN, or an Observation whose name says karyotype/cytogenetics) → `karyotype.abnormalities`; the
  latest karyotype's Observation and date are kept so the card can cite them and old ones age out.
* Transcript type (e13a2/e14a2/e1a2/e13a3/e14a3/e19a2 and any other eNaM name; b2a2 = e13a2, b3a2 =
  e14a2, p190 = e1a2, p230 = e19a2) named in any Observation's text (value, code text, components) or in Condition text
  (conditions.py); co-expressed types are joined with "+" in a fixed order, typical ones first.
* Allogeneic transplant: Procedure SNOMED 234336002 (HSCT, unless the text says autologous),
  58390007 (allogeneic BMT), 174241000112100 (allogeneic HSCT), or "allogeneic"/"allo-SCT" text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from tki_resistance.model import LabValue

from .dates import parse_day
from .exclusions import ExclusionLog
from .karyotype import abnormalities, has_philadelphia, looks_like_iscn
from .resources import CodeableConcept, Observation, Procedure
from .terminology import BASOPHIL_PERCENT, BLAST_PERCENT, LOINC, PLATELET_COUNT, PLATELET_UNITS, SNOMED

__all__ = [
    "ObservationContext",
    "allogeneic_transplant",
    "context_from",
    "count_kind",
    "join_transcripts",
    "observation_context",
    "transcript_names",
    "transplant_record",
]

_ISCN_COMPONENT = "81291-7"
_BLAST_CODES = frozenset(BLAST_PERCENT)
_KARYOTYPE_WORDS = ("karyotype", "cytogenetic", "chromosome analysis", "iscn")
_TRANSCRIPT = re.compile(r"\b(e\d{1,2}a[23]|b2a2|b3a2|p190|p230)\b", re.IGNORECASE)
#: b2a2/b3a2 are the old names of e13a2/e14a2; the protein names p190 (minor bcr) and p230 (micro bcr) stand
#: for the transcripts that encode them, e1a2 and e19a2 (p210 is not mapped: e13a2 or e14a2, it cannot tell).
_ALIASES = {"b2a2": "e13a2", "b3a2": "e14a2", "p190": "e1a2", "p230": "e19a2"}
_TRANSCRIPT_ORDER = ("e13a2", "e14a2", "e1a2", "e13a3", "e14a3", "e19a2")
_TRANSPLANT_ALLO = frozenset({"58390007", "174241000112100"})
_TRANSPLANT_ANY = frozenset({"234336002"})
_ALLO_WORDS = (
    "allogeneic",
    "allogenic",  # a common misspelling in free text
    "allo-sct",
    "allo-hsct",
    "allo sct",
    "allo hsct",
    "allo-hct",
    "allo hct",
    "allograft",
    "allo-bmt",
    "haploidentical",
    "unrelated donor",
    "sibling donor",
)
_USABLE = frozenset({"final", "amended", "corrected", "preliminary"})


_COUNT_KINDS = ("blasts", "blasts-promyelocytes", "basophils", "platelets")


@dataclass(frozen=True)
class ObservationContext:
    blast_percent: float | None = None
    blast_source: str | None = None
    chromosomal_abnormalities: tuple[str, ...] = ()
    transcript_type: str | None = None
    fusion_sources: tuple[str, ...] = ()
    transcripts: tuple[str, ...] = ()  # every transcript name seen (normalised)
    transcript_sources: tuple[str, ...] = ()
    blast_date: date | None = None
    karyotype_source: str | None = None
    karyotype_date: date | None = None
    blasts_promyelocytes: LabValue | None = None
    basophils: LabValue | None = None
    platelets: LabValue | None = None


def transcript_names(text: str) -> set[str]:
    """The BCR::ABL1 transcript names a text mentions, normalised (b2a2 → e13a2, b3a2 → e14a2)."""
    if _TRANSCRIPT.search(text) is None:  # nearly every text (a condition's name, a note): no sets to build
        return set()
    names = {match.group(1).lower() for match in _TRANSCRIPT.finditer(text)}
    return {_ALIASES.get(name, name) for name in names}


def join_transcripts(names: set[str]) -> str | None:
    """Co-expressed types joined with "+": the known ones in a fixed order, then any other, sorted."""
    known = [t for t in _TRANSCRIPT_ORDER if t in names]
    return "+".join(known + sorted(names - set(_TRANSCRIPT_ORDER))) or None


def count_kind(code: CodeableConcept) -> str | None:
    """Which phase-relevant count an Observation with this code is, by LOINC code or (marrow blasts) by its
    name: the name is read whatever else the code says."""
    if code.has(LOINC, _BLAST_CODES):
        return "blasts"
    if code.has(LOINC, BASOPHIL_PERCENT):
        return "basophils"
    if code.has(LOINC, PLATELET_COUNT):
        return "platelets"
    words = code.words()
    if "blasts" in words and ("marrow" in words or "blood" in words or "/100" in words):
        return "blasts-promyelocytes" if "promyelocyte" in words else "blasts"
    return None


def _day(observation: Observation) -> date:
    period = observation.effectivePeriod
    return (
        parse_day(observation.effectiveDateTime or (period.start if period else None) or observation.issued) or date.min
    )


def _iscn_strings(observation: Observation) -> list[str]:
    if not observation.component and observation.valueString is None and observation.valueCodeableConcept is None:
        return []  # a plain quantity (e.g. every BCR::ABL1 IS result) carries no karyotype
    strings: list[str] = []
    for component in observation.component:
        if component.code.has(LOINC, {_ISCN_COMPONENT}):
            concept = component.valueCodeableConcept
            strings += [c.code for c in concept.coding if c.code] if concept else []
            strings += [t for t in [concept.text if concept else None, component.valueString] if t]
    value_texts = [observation.valueString or ""]
    if observation.valueCodeableConcept is not None:
        value_texts += [observation.valueCodeableConcept.text or ""]
    words = observation.code.words()
    is_karyotype = any(word in words for word in _KARYOTYPE_WORDS)
    strings += [t for t in value_texts if t and (looks_like_iscn(t) or is_karyotype)]
    return strings


def _count(observation: Observation, kind: str, log: ExclusionLog) -> float | None:
    """The value in % (platelets: in 10⁹/L); anything else is excluded and reported."""
    name = "platelet count" if kind == "platelets" else f"{kind.replace('-', ' + ')} count"
    name = name.replace("blasts count", "blast count")
    quantity = observation.valueQuantity
    if quantity is None or quantity.value is None:
        log.exclude(observation, f"{name} without a numeric value")
        return None
    unit = (quantity.code or quantity.unit or "").strip()
    if kind == "platelets":
        if unit not in PLATELET_UNITS:
            log.exclude(observation, f"platelet count in '{unit or 'no unit'}', not 10^9/L")
            return None
    elif unit != "%":
        log.exclude(observation, f"{name} in '{unit or 'no unit'}', not %")
        return None
    if not 0 <= quantity.value <= 100:  # a percentage of cells: anything else is not a count
        log.exclude(observation, f"blast count {quantity.value:g}% is outside 0–100%")
        return None
    return quantity.value


def observation_context(observations: list[Observation], log: ExclusionLog) -> ObservationContext:
    """The context from any Observations (see `context_from`), each asked its `count_kind`."""
    counts: list[tuple[Observation, str]] = []
    others: list[Observation] = []
    for observation in observations:
        kind = count_kind(observation.code)
        if kind is None:
            others.append(observation)
        else:
            counts.append((observation, kind))
    return context_from(counts, others, log)


def context_from(
    counts: list[tuple[Observation, str]], others: list[Observation], log: ExclusionLog
) -> ObservationContext:
    """The context from the counts, each with its `count_kind`, and from every other Observation (snapshot.py
    sorts the Observations once: observation_kinds.py); the unusable counts logged, in the order given."""
    latest_counts: dict[str, list[tuple[date, float, str]]] = {kind: [] for kind in _COUNT_KINDS}
    for observation, kind in counts:
        if (observation.status or "unknown") not in _USABLE:
            continue
        value = _count(observation, kind, log)
        if value is not None:
            latest_counts[kind].append((_day(observation), value, f"Observation/{observation.id}"))
    karyotypes: list[tuple[date, tuple[str, ...], str]] = []
    transcripts: set[str] = set()
    transcript_sources: list[str] = []
    fusion: list[str] = []
    seen_texts: set[str] = set()
    seen_code_texts: set[str] = set()  # code texts of plain results already read (their text is " " + it)
    for observation in others:
        if (observation.status or "unknown") not in _USABLE:
            continue
        # a plain quantity (every BCR::ABL1 result) carries no karyotype and no text beside its name
        plain = not observation.component and observation.valueString is None
        plain = plain and observation.valueCodeableConcept is None
        iscn = [] if plain else _iscn_strings(observation)
        if iscn:
            source = f"Observation/{observation.id}"
            karyotypes.append((_day(observation), tuple(a for s in iscn for a in abnormalities(s)), source))
            if any(has_philadelphia(s) for s in iscn):
                fusion.append(source)
        # any Observation may name the transcript (a BCR::ABL1 result, a transcript-type test, a PCR or
        # FISH report): the eNaM pattern is specific enough to read every one
        if plain:
            code_text = observation.code.text or ""
            if code_text in seen_code_texts:  # thousands of results share one code text: no new string
                continue
            seen_code_texts.add(code_text)
            text = " " + code_text  # what the join below gives, without the list
        else:
            texts = [observation.valueString or "", observation.code.text or ""]
            if observation.valueCodeableConcept is not None:
                texts += [observation.valueCodeableConcept.words()]
            if observation.component:
                texts += [c.valueString or "" for c in observation.component]
            text = " ".join(texts)
        if text not in seen_texts:  # thousands of results usually share one code text
            seen_texts.add(text)
            names = transcript_names(text)
            if names:
                transcripts |= names
                transcript_sources.append(f"Observation/{observation.id}")
    latest = {kind: max(values, key=lambda b: b[0], default=None) for kind, values in latest_counts.items()}
    blast = latest["blasts"]
    latest_karyotype = max(karyotypes, key=lambda k: k[0], default=None)
    return ObservationContext(
        blast_percent=blast[1] if blast else None,
        blast_source=blast[2] if blast else None,
        blast_date=_known(blast[0]) if blast else None,
        chromosomal_abnormalities=tuple(dict.fromkeys(latest_karyotype[1])) if latest_karyotype else (),
        karyotype_source=latest_karyotype[2] if latest_karyotype else None,
        karyotype_date=_known(latest_karyotype[0]) if latest_karyotype else None,
        blasts_promyelocytes=_lab(latest["blasts-promyelocytes"]),
        basophils=_lab(latest["basophils"]),
        platelets=_lab(latest["platelets"]),
        transcript_type=join_transcripts(transcripts),
        fusion_sources=tuple(fusion),
        transcripts=tuple(sorted(transcripts)),
        transcript_sources=tuple(transcript_sources),
    )


def _known(day: date) -> date | None:
    """`_day` sorts undated records first with date.min; the model says "date unknown" with None."""
    return None if day == date.min else day


def _lab(entry: tuple[date, float, str] | None) -> LabValue | None:
    return LabValue(entry[2], _known(entry[0]), entry[1]) if entry else None


def allogeneic_transplant(procedures: list[Procedure], log: ExclusionLog) -> date | None:
    """The date of the latest allogeneic stem-cell transplant, or None."""
    record = transplant_record(procedures, log)
    return record[0] if record else None


def transplant_record(procedures: list[Procedure], log: ExclusionLog) -> tuple[date, str] | None:
    """(date, `Procedure/id`) of the latest allogeneic stem-cell transplant, or None."""
    dates: list[tuple[date, str]] = []
    for procedure in procedures:
        if procedure.code is None:
            continue
        codes = set(procedure.code.codes(SNOMED))
        words = procedure.code.words()
        allogeneic = bool(codes & _TRANSPLANT_ALLO) or any(w in words for w in _ALLO_WORDS)
        if not allogeneic and codes & _TRANSPLANT_ANY and "autologous" not in words:
            allogeneic = True  # HSCT without a type, listed as transplant history by issue #3; "autologous" excludes
        if not allogeneic:
            continue
        if procedure.status in ("entered-in-error", "not-done"):
            if procedure.status == "entered-in-error":
                log.exclude(procedure, "transplant procedure entered in error")
            continue
        period = procedure.performedPeriod
        day = parse_day(procedure.performedDateTime or (period.start if period else None))
        if day is None:
            log.exclude(procedure, "allogeneic transplant without a full date")
            continue
        if procedure.status not in (None, "completed", "in-progress"):
            log.exclude(procedure, f"transplant procedure with status '{procedure.status}'")
            continue
        dates.append((day, f"Procedure/{procedure.id}"))
    return max(dates, default=None)
