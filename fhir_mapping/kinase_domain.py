"""BCR::ABL1 kinase-domain mutation results → `KinaseDomainTest` (one per test day).

Shapes read:
* Genomics Reporting Variant (LOINC 69548-6), STU2 and STU3 component slices share their LOINC codes:
  gene studied 48018-6 (HGNC:76 ABL1), protein HGVS 48005-3, DNA HGVS 48004-6, allele frequency 81258-6;
* simpler laboratory results (LOINC 55135-8, or 69548-6 without components) naming the change in
  `valueString` / `valueCodeableConcept.text` ("T315I detected", "E255K, F359V");
* negative results ("no mutation detected", LA9634-2 Absent): a test done, with no variants;
* compound mutations as a Haplotype (LOINC 84414-2) whose `hasMember` points to the variant
  Observations: one `Variant` with the members' changes in the order given (`T315I/E255V`).

A variant in another gene is not a kinase-domain variant: excluded and reported. A BCR + ABL1 variant
without a protein change is the fusion itself (mCODE "genomic-variant-fusion"): recorded as evidence
of BCR::ABL1, not as a mutation test. A DNA change with no protein change is reported, never translated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tki_resistance.model import KinaseDomainTest, Variant

from .dates import parse_day
from .exclusions import ExclusionLog
from .protein_change import find_protein_changes
from .resources import CodeableConcept, Observation, ObservationComponent
from .terminology import HGNC_ABL1, HGNC_BCR, LOINC

__all__ = ["KD_CODES", "KinaseDomainResult", "is_kinase_domain", "kinase_domain_code", "map_kinase_domain"]

VARIANT = "69548-6"
LAB_MUTATION_ANALYSIS = "55135-8"
HAPLOTYPE = "84414-2"
KD_CODES = frozenset({VARIANT, LAB_MUTATION_ANALYSIS, HAPLOTYPE})
_GENE = "48018-6"
_PROTEIN = "48005-3"
_DNA = "48004-6"
_VAF = "81258-6"
_ISCN = "81291-7"
_USABLE = frozenset({"final", "amended", "corrected", "preliminary"})
_NEGATIVE_CODES = frozenset({"LA9634-2", "LA11883-8", "LA6577-6"})
_NEGATIVE_WORDS = ("no mutation", "not detected", "negative", "absent", "no variant", "wild type", "wild-type", "none")
_BCR_ABL1_WORDS = ("bcr-abl", "bcr::abl", "bcr/abl", "abl1", "abl kinase")


@dataclass(frozen=True)
class KinaseDomainResult:
    tests: tuple[KinaseDomainTest, ...]
    fusion_sources: tuple[str, ...]


def kinase_domain_code(code: CodeableConcept) -> bool:
    """A variant, a mutation analysis or a haplotype, by LOINC code."""
    return code.has(LOINC, KD_CODES)


def is_kinase_domain(observation: Observation) -> bool:
    return kinase_domain_code(observation.code)


def _components(observation: Observation, code: str) -> list[ObservationComponent]:
    return [c for c in observation.component if c.code.has(LOINC, {code})]


def _genes(observation: Observation) -> set[str]:
    """Genes studied: ABL1 / BCR by HGNC code or name ("BCR-ABL1" gives both), others by their name."""
    genes: set[str] = set()
    for component in _components(observation, _GENE):
        concept = component.valueCodeableConcept or CodeableConcept(text=component.valueString)
        codes = {c.code for c in concept.coding if c.code}
        words = concept.words()
        is_abl1 = bool(codes & HGNC_ABL1) or (not codes & HGNC_BCR and "abl" in words)
        is_bcr = bool(codes & HGNC_BCR) or "bcr" in words
        if is_abl1:
            genes.add("ABL1")
        if is_bcr:
            genes.add("BCR")
        if not (is_abl1 or is_bcr):
            name = concept.text or next((c.display or c.code for c in concept.coding if c.display or c.code), None)
            genes.add((name or "unnamed gene").upper())
    return genes


def _texts(observation: Observation) -> list[str]:
    """Where a change may be written: protein-HGVS components first, then the result value itself."""
    texts: list[str] = []
    for component in _components(observation, _PROTEIN):
        concept = component.valueCodeableConcept
        if concept is not None:
            texts += [c.code or c.display or "" for c in concept.coding] + [concept.text or ""]
        texts.append(component.valueString or "")
    if not any(texts):
        concept = observation.valueCodeableConcept
        if concept is not None:
            texts += [concept.text or ""] + [c.display or "" for c in concept.coding if c.system != LOINC]
        texts.append(observation.valueString or "")
    return [t for t in texts if t]


def _says_negative(observation: Observation) -> bool:
    concept = observation.valueCodeableConcept
    if concept is not None and any(c.code in _NEGATIVE_CODES for c in concept.coding):
        return True
    words = " ".join([concept.words() if concept else "", (observation.valueString or "").lower()])
    return any(word in words for word in _NEGATIVE_WORDS)


def _vaf(observation: Observation) -> float | None:
    for component in _components(observation, _VAF):
        quantity = component.valueQuantity
        if quantity is not None and quantity.value is not None:
            percent = (quantity.code or quantity.unit or "").startswith("%")
            fraction = quantity.value / 100 if percent else quantity.value
            return fraction if 0 <= fraction <= 1 else None  # a fraction of reads; out of range is not read
    return None


def _mentions_bcr_abl1(observation: Observation) -> bool:
    words = " ".join([observation.code.words(), observation.method.words() if observation.method else ""])
    return any(word in words for word in _BCR_ABL1_WORDS)


def _day(observation: Observation) -> date | None:
    period = observation.effectivePeriod
    return parse_day(observation.effectiveDateTime or (period.start if period else None) or observation.issued)


@dataclass(frozen=True)
class _Read:
    taken: date
    changes: tuple[str, ...]  # () = negative
    vaf: float | None
    method: str | None


class _Reader:
    """Reads one variant-like Observation; logs why it cannot be used."""

    def __init__(self, log: ExclusionLog, fusion: list[str]) -> None:
        self.log = log
        self.fusion = fusion

    def read(self, observation: Observation) -> _Read | None:
        status = observation.status or "unknown"
        if status not in _USABLE:
            self.log.exclude(observation, f"status '{status}': not a usable mutation result")
            return None
        if _components(observation, _ISCN) and not _components(observation, _PROTEIN):
            return None  # a cytogenetic (ISCN) variant: read by the karyotype mapping
        taken = _day(observation)
        if taken is None:
            self.log.exclude(observation, "mutation result without a full date")
            return None
        genes = _genes(observation)
        changes = tuple(c for text in _texts(observation) for c in find_protein_changes(text))
        changes = tuple(dict.fromkeys(changes))
        if genes and "ABL1" not in genes:
            self.log.exclude(
                observation, f"variant in {', '.join(sorted(genes))}: not a BCR::ABL1 kinase-domain variant"
            )
            return None
        if {"ABL1", "BCR"} <= genes and not changes and not _says_negative(observation):
            self.fusion.append(f"Observation/{observation.id}")
            return None
        if not genes and observation.code.has(LOINC, {VARIANT}) and not _mentions_bcr_abl1(observation):
            if changes or not _says_negative(observation):
                self.log.exclude(observation, "variant without a gene studied: not known to be BCR::ABL1")
            return None
        method = (
            observation.method.text or next((c.display for c in observation.method.coding if c.display), None)
            if observation.method
            else None
        )
        negative = _says_negative(observation)
        if changes and negative:
            self.log.exclude(observation, "result text both names a change and says negative: not interpreted")
            return None
        if not changes and not negative:
            dna = [
                c.valueCodeableConcept or CodeableConcept(text=c.valueString) for c in _components(observation, _DNA)
            ]
            what = f" (only DNA change {dna[0].codes('http://varnomen.hgvs.org') or dna[0].text})" if dna else ""
            self.log.exclude(observation, f"mutation result without a readable protein change{what}")
            return None
        return _Read(taken, changes, _vaf(observation) if len(changes) == 1 else None, method)


def _resolve(reference: str | None, by_id: dict[str, Observation]) -> Observation | None:
    if not reference:
        return None
    return by_id.get(reference.rsplit("/", 1)[-1]) if "Observation/" in reference or "/" not in reference else None


def map_kinase_domain(observations: Iterable[Observation], log: ExclusionLog) -> KinaseDomainResult:
    """All kinase-domain tests, grouped by day (a positive and a negative on one day: the variants win). Only
    the kinase-domain Observations are read: snapshot.py gives no other (observation_kinds.py)."""
    candidates = [o for o in observations if is_kinase_domain(o)]
    by_id = {o.id: o for o in candidates if o.id}
    fusion: list[str] = []
    reader = _Reader(log, fusion)
    consumed: set[str] = set()
    found: list[tuple[str, _Read, Variant | None]] = []

    for haplotype in (o for o in candidates if o.code.has(LOINC, {HAPLOTYPE})):
        members = [_resolve(m.reference, by_id) for m in haplotype.hasMember]
        if not members or any(m is None for m in members):
            log.exclude(haplotype, "compound mutation whose member variants are not all in the data")
            continue
        maybe = [reader.read(m) for m in members if m is not None]
        reads = [r for r in maybe if r is not None and len(r.changes) == 1]
        if len(reads) != len(members):
            log.exclude(haplotype, "compound mutation with a member that is not one readable ABL1 change")
            continue
        consumed.update(m.id for m in members if m is not None and m.id)
        parts = tuple(r.changes[0] for r in reads)
        taken = _day(haplotype) or reads[0].taken
        compound = Variant("/".join(parts), parts)
        found.append((f"Observation/{haplotype.id}", _Read(taken, parts, None, reads[0].method), compound))

    for observation in candidates:
        if observation.code.has(LOINC, {HAPLOTYPE}) or observation.id in consumed:
            continue
        read = reader.read(observation)
        if read is not None:
            found.append((f"Observation/{observation.id}", read, None))

    by_day: dict[date, list[tuple[str, _Read, Variant | None]]] = defaultdict(list)
    for item in found:
        by_day[item[1].taken].append(item)
    tests: list[KinaseDomainTest] = []
    for day in sorted(by_day):
        variants: list[Variant] = []
        for _, read, grouped in by_day[day]:
            new = [grouped] if grouped else [Variant(c, (c,), read.vaf) for c in read.changes]
            variants += [v for v in new if v.name not in {x.name for x in variants}]
        first_source, first_read, _ = by_day[day][0]
        tests.append(KinaseDomainTest(first_source, day, tuple(variants), first_read.method))
    return KinaseDomainResult(tuple(tests), tuple(fusion))
