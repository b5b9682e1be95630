"""Kinase-domain mutations → the TKIs to avoid (`avoid-tki`).

Soverini & Castagnetti: use the mutation result to EXCLUDE ineffective TKIs, not to pick one best drug.
Every detected variant counts, from every test on record (clones can re-emerge); a compound mutation
excludes the union of its components' exclusions plus the compound rules; low-level variants count and
show their allele fraction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .comorbidity import cautions_for, comorbidity_rules
from .evidence import variant_evidence
from .findings import Evidence, Finding, FindingCode, RuleRef, Severity
from .knowledge_base import Knowledge
from .knowledge_schema import CompoundRuleRow, KnowledgeRow, MutationRuleRow
from .model import TKIS, KinaseDomainTest, PatientSnapshot, Variant
from .therapy_history import ordered_tkis

__all__ = ["MutationProfile", "avoid_tki_findings", "detected_variants", "mutation_profile"]


@dataclass(frozen=True, slots=True)
class MutationProfile:
    """What the detected variants exclude: per TKI, the mutations and rules behind the exclusion."""

    variants: tuple[tuple[Variant, KinaseDomainTest], ...]
    avoid: dict[str, list[tuple[str, KnowledgeRow]]]
    cautions: dict[str, list[tuple[str, MutationRuleRow]]]
    options: list[tuple[str, MutationRuleRow]]
    compound_rows: list[tuple[Variant, CompoundRuleRow]]

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
    for test in sorted(snapshot.kinase_domain_tests, key=lambda t: t.taken):
        for variant in test.variants:
            latest[variant.name.upper()] = (variant, test)
    return list(latest.values())


def mutation_profile(snapshot: PatientSnapshot, knowledge: Knowledge) -> MutationProfile:
    variants = detected_variants(snapshot)
    avoid: dict[str, list[tuple[str, KnowledgeRow]]] = defaultdict(list)
    cautions: dict[str, list[tuple[str, MutationRuleRow]]] = defaultdict(list)
    options: list[tuple[str, MutationRuleRow]] = []
    compound_rows: list[tuple[Variant, CompoundRuleRow]] = []
    for variant, _ in variants:
        for change in variant.components:
            label = variant.name if variant.is_compound else change
            for row in knowledge.mutation_rows(change):  # precomputed at knowledge load
                for tki in row.tkis:
                    if row.effect == "avoid":
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
                compound_rows.append((variant, compound))
                for tki in compound.avoid:
                    avoid[tki].append((variant.name, compound))
    if snapshot.transcript_type:
        for row in knowledge.mutation_rules:
            if snapshot.transcript_type in row.transcripts and row.effect == "avoid":
                for tki in row.tkis:
                    avoid[tki].append((f"{snapshot.transcript_type} transcript", row))
    return MutationProfile(tuple(variants), dict(avoid), dict(cautions), options, compound_rows)


def _dose_note(tki: str, profile: MutationProfile, knowledge: Knowledge) -> str:
    situation = "t315i" if profile.has("T315I") else "standard"
    rows = [r for r in knowledge.doses if r.tki == tki and r.situation == situation]
    rows = rows or [r for r in knowledge.doses if r.tki == tki and r.situation == "standard" and r.phase != "advanced"]
    if tki == "ponatinib" and profile.has("T315I"):
        rows = [r for r in knowledge.doses if r.tki == "ponatinib" and r.line == "later" and r.phase == "chronic"]
    return rows[-1].text if rows else ""


def _unique_rules(knowledge: Knowledge, rows: list[KnowledgeRow]) -> tuple[RuleRef, ...]:
    seen: dict[str, KnowledgeRow] = {}
    for row in rows:
        seen.setdefault(row.id, row)
    return tuple(knowledge.rule(row) for row in seen.values())


def avoid_tki_findings(snapshot: PatientSnapshot, knowledge: Knowledge) -> list[Finding]:
    """One `avoid-tki` finding listing the TKIs to avoid, why, and what remains."""
    profile = mutation_profile(snapshot, knowledge)
    if not profile.avoid:
        return []
    from .advanced_phase import is_advanced  # local: advanced_phase does not depend on mutations

    current = snapshot.current_tki
    in_use = {e.drug: "ordered" for e in ordered_tkis(snapshot)}
    if current is not None:
        in_use[current.drug] = "current"
    conflicts = sorted(t for t in profile.avoid if t in in_use)
    progressed = is_advanced(snapshot, knowledge)
    severity = Severity.CRITICAL if conflicts or progressed else Severity.INFO

    detail: list[str] = []
    if conflicts:
        detail.append(
            "**" + "; ".join(f"The {in_use[t]} TKI {t} is among the TKIs to avoid" for t in conflicts) + ".**"
        )
    detail.append("TKIs to avoid (Soverini 2026: use mutations to exclude ineffective TKIs):")
    for tki in profile.avoided:
        reasons: dict[str, set[str]] = defaultdict(set)
        for mutation, row in profile.avoid[tki]:
            reasons[mutation].add(getattr(row, "guideline", row.source))
        parts = [f"{m} ({', '.join(sorted(g))})" for m, g in sorted(reasons.items())]
        detail.append(f"- **{tki}**: " + "; ".join(parts))
    for tki, items in sorted(profile.cautions.items()):
        if tki not in profile.avoid:
            detail.append(f"- {tki}: less active with {', '.join(sorted({m for m, _ in items}))} (caution)")
    disagreements = sorted(
        {
            f"{row.guideline} lists {tki} as an option for {change}"
            for change, row in profile.options
            for tki in row.tkis
            if tki in profile.avoid
        }
    )
    if disagreements:
        detail.append("Guidelines disagree: " + "; ".join(disagreements) + " (the service avoids the union).")
    option_rows = {row.id: row for _, row in profile.options}
    for row in option_rows.values():
        status = "" if row.verified else " (as recalled, unverified)"
        detail.append(f"{row.guideline}{status} options for {', '.join(row.mutations)}: {', '.join(row.tkis)}.")
    for variant, compound in profile.compound_rows:
        detail.append(f"Compound {variant.name}: {compound.options}")
    remaining = profile.remaining
    if remaining:
        detail.append(
            "Remaining options: "
            + "; ".join(f"{t} ({note})" if (note := _dose_note(t, profile, knowledge)) else t for t in remaining)
            + "; allo-SCT; clinical trial."
        )
    else:
        detail.append("No TKI remains: allo-SCT evaluation; clinical trial.")
    option_cautions = [(tki, hit) for tki in remaining for hit in cautions_for(tki, snapshot, knowledge)]
    if option_cautions:
        detail.append(
            "Comorbidity cautions for the remaining options (Soverini 2026: choose by mutation and comorbidity):"
        )
        detail += [
            f"- {tki}: **{c.display or c.key}**: {row.text}" + (" (boxed warning)" if row.strength == "boxed" else "")
            for tki, (c, row) in option_cautions
        ]

    evidence = [variant_evidence(v, t) for v, t in profile.variants]
    if snapshot.transcript_type and any("transcript" in m for items in profile.avoid.values() for m, _ in items):
        evidence.append(Evidence("Transcript type", snapshot.transcript_type))
    if current is not None:
        evidence.append(
            Evidence("Current TKI", current.drug, current.start.isoformat() if current.start else None, current.source)
        )
    rows: list[KnowledgeRow] = [row for tki in profile.avoided for _, row in profile.avoid[tki]]
    rows += [row for items in profile.cautions.values() for _, row in items]
    rows += [row for _, row in profile.compound_rows]
    evidence += [
        Evidence("Comorbidity", c.display or c.key, c.onset.isoformat() if c.onset else None, c.source)
        for c in dict.fromkeys(c for _, (c, _) in option_cautions)
    ]
    mutations = tuple(sorted({v.name for v, _ in profile.variants}))
    return [
        Finding(
            code=FindingCode.AVOID_TKI,
            severity=severity,
            summary=f"{', '.join(mutations) or snapshot.transcript_type}: avoid {', '.join(profile.avoided)}",
            rules=_unique_rules(knowledge, rows) + comorbidity_rules([hit for _, hit in option_cautions], knowledge),
            evidence=tuple(evidence),
            detail=tuple(detail),
            avoid=profile.avoided,
            mutations=mutations,
            override_reasons=("Patient in a clinical trial", "Mutation no longer detected"),
            extra={
                "remaining": list(remaining),
                "conflicts": conflicts,
                "optionRules": sorted(option_rows),
                "optionCautions": sorted({f"{tki}:{row.comorbidity}" for tki, (_, row) in option_cautions}),
            },
        )
    ]
