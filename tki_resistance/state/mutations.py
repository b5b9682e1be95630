"""What the kinase-domain results exclude: per TKI, the mutations and rules behind each exclusion.

Soverini & Castagnetti: use the mutation result to EXCLUDE ineffective TKIs, not to pick one best drug.
Every detected variant counts, from every test on record (clones can re-emerge); a compound mutation
excludes the union of its components' exclusions plus the compound rules; low-level variants count.
A verified germline polymorphism (K247R, Ernst 2008) counts for no rule; myristoyl-pocket mutations leave
the ATP site alone, so the "any mutation" rows for ATP-site TKIs skip them (`not-atp-site` rows).
"""

from __future__ import annotations

from collections import defaultdict

import msgspec

from ..knowledge.loader import Knowledge
from ..knowledge.schema import CompoundRuleRow, KnowledgeRow, MutationRuleRow, PolymorphismRow
from ..model import TKIS, KinaseDomainTest, PatientSnapshot, Variant

__all__ = ["MutationProfile", "detected_variants", "mutation_profile"]


class MutationProfile(msgspec.Struct, frozen=True, gc=False):
    """What the detected variants exclude: per TKI, the mutations and rules behind the exclusion."""

    variants: tuple[tuple[Variant, KinaseDomainTest], ...]
    avoid: dict[str, list[tuple[str, KnowledgeRow]]]
    cautions: dict[str, list[tuple[str, MutationRuleRow]]]
    options: list[tuple[str, MutationRuleRow]]
    compound_rows: list[tuple[Variant, CompoundRuleRow]]
    polymorphisms: tuple[tuple[Variant, KinaseDomainTest, PolymorphismRow], ...] = ()
    not_atp_site: tuple[tuple[str, MutationRuleRow], ...] = ()

    @property
    def avoided(self) -> tuple[str, ...]:
        return tuple(sorted(self.avoid))

    @property
    def remaining(self) -> tuple[str, ...]:
        return tuple(t for t in TKIS if t not in self.avoid)

    def has(self, change: str) -> bool:
        return any(change in v.components for v, _ in self.variants)


def detected_variants(snapshot: PatientSnapshot) -> list[tuple[Variant, KinaseDomainTest]]:
    """Each variant once (by name), from the latest test that reported it."""
    latest: dict[str, tuple[Variant, KinaseDomainTest]] = {}
    for test in sorted(snapshot.kinase_domain_tests, key=lambda t: (t.taken, t.source)):
        for variant in test.variants:
            latest[variant.name.upper()] = (variant, test)
    return list(latest.values())


def _exempt(row: MutationRuleRow, tki: str, change: str, knowledge: Knowledge) -> MutationRuleRow | None:
    """The `not-atp-site` row that keeps a wildcard row for `tki` off `change`, if any."""
    if "*" not in row.mutations:
        return None
    return knowledge.not_atp_site(tki, change)


def _polymorphism(variant: Variant, knowledge: Knowledge) -> PolymorphismRow | None:
    """A single (not compound) variant that a verified polymorphism row names."""
    if variant.is_compound:
        return None
    return next((r for r in knowledge.polymorphisms if r.change.upper() == variant.name.upper()), None)


def mutation_profile(snapshot: PatientSnapshot, failed: frozenset[str], knowledge: Knowledge) -> MutationProfile:
    """What the detected variants exclude; `failed`: the TKIs stopped for resistance (compound rules ask)."""
    avoid: dict[str, list[tuple[str, KnowledgeRow]]] = defaultdict(list)
    cautions: dict[str, list[tuple[str, MutationRuleRow]]] = defaultdict(list)
    options: list[tuple[str, MutationRuleRow]] = []
    compound_rows: list[tuple[Variant, CompoundRuleRow]] = []
    polymorphisms: list[tuple[Variant, KinaseDomainTest, PolymorphismRow]] = []
    not_atp_site: dict[str, tuple[str, MutationRuleRow]] = {}
    variants: list[tuple[Variant, KinaseDomainTest]] = []
    for variant, test in detected_variants(snapshot):
        snp = _polymorphism(variant, knowledge)
        if snp is not None:
            polymorphisms.append((variant, test, snp))
            if snp.verified:
                continue  # a verified polymorphism is not a mutation: no rule applies to it
        variants.append((variant, test))
    for variant, _ in variants:
        for change in variant.components:
            label = variant.name if variant.is_compound else change
            for row in knowledge.mutation_rows(change):  # precomputed at knowledge load
                for tki in row.tkis:
                    if (exempt := _exempt(row, tki, change, knowledge)) is not None:
                        not_atp_site[f"{change}:{exempt.id}"] = (change, exempt)
                    elif row.effect == "avoid":
                        avoid[tki].append((label, row))
                    elif row.effect == "caution":
                        cautions[tki].append((label, row))
                if row.effect == "option":
                    options.append((change, row))
        if variant.is_compound:
            components = {c.upper() for c in variant.components}
            for compound in knowledge.compound_rules:
                if not set(compound.requires) <= components or set(compound.excluded_requires) & components:
                    continue
                if compound.after_resistance_to and not failed & set(compound.after_resistance_to):
                    continue
                compound_rows.append((variant, compound))
                for tki in compound.avoid:
                    avoid[tki].append((variant.name, compound))
    if snapshot.transcript_type:
        types = set(snapshot.transcript_type.split("+"))  # co-expressed types are joined with "+"
        for row in knowledge.mutation_rules:
            if types & set(row.transcripts) and row.effect in ("avoid", "caution"):
                label = f"{snapshot.transcript_type} transcript"
                for tki in row.tkis:
                    if row.effect == "avoid":
                        avoid[tki].append((label, row))
                    else:
                        cautions[tki].append((label, row))
    return MutationProfile(
        tuple(variants),
        dict(avoid),
        dict(cautions),
        options,
        compound_rows,
        tuple(polymorphisms),
        tuple(not_atp_site.values()),
    )
