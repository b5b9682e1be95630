"""Kinase-domain mutations → the TKIs to avoid (`avoid-tki`).

Soverini & Castagnetti: use the mutation result to EXCLUDE ineffective TKIs, not to pick one best drug.
Every detected variant counts, from every test on record (clones can re-emerge); a compound mutation
excludes the union of its components' exclusions plus the compound rules; low-level variants count and
show their allele fraction.

Not every reported variant is a resistance mutation: a verified germline polymorphism (K247R, Ernst 2008)
counts for no rule and is named as such; myristoyl-pocket mutations leave the ATP site alone, so the
"any mutation" rows for ATP-site TKIs skip them (`not-atp-site` rows).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..evidence import variant_evidence
from ..findings import Evidence, Finding, FindingCode, RuleRef, Severity, fit
from ..knowledge.loader import Knowledge
from ..knowledge.schema import CompoundRuleRow, KnowledgeRow, MutationRuleRow, PolymorphismRow
from ..model import TKIS, KinaseDomainTest, PatientSnapshot, Variant
from ..shared_derivations import memoised_per_assessment
from ..state.history import ordered_tkis, resistance_stops
from .comorbidity import STRENGTH_NOTE, cautions_for, comorbidity_rules

__all__ = ["MutationProfile", "avoid_tki_findings", "detected_variants", "mutation_profile"]


@dataclass(frozen=True, slots=True)
class MutationProfile:
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
    for test in sorted(snapshot.kinase_domain_tests, key=lambda t: t.taken):
        for variant in test.variants:
            latest[variant.name.upper()] = (variant, test)
    return list(latest.values())


def _exempt(row: MutationRuleRow, tki: str, change: str, knowledge: Knowledge) -> MutationRuleRow | None:
    """The `not-atp-site` row that keeps a wildcard row for `tki` off `change`, if any."""
    if "*" not in row.mutations:
        return None
    upper = change.upper()
    return next(
        (
            r
            for r in knowledge.mutation_rules
            if r.effect == "not-atp-site" and tki in r.tkis and upper in (m.upper() for m in r.mutations)
        ),
        None,
    )


def _polymorphism(variant: Variant, knowledge: Knowledge) -> PolymorphismRow | None:
    """A single (not compound) variant that a verified polymorphism row names."""
    if variant.is_compound:
        return None
    return next((r for r in knowledge.polymorphisms if r.change.upper() == variant.name.upper()), None)


@memoised_per_assessment
def mutation_profile(snapshot: PatientSnapshot, knowledge: Knowledge) -> MutationProfile:
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
    failed = {e.drug for e in resistance_stops(snapshot)}
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


def _dose_note(tki: str, profile: MutationProfile, snapshot: PatientSnapshot, knowledge: Knowledge) -> str:
    """The dose for `tki` as the patient's next TKI: T315I dose where one exists, else the standard dose of
    the patient's phase and line (first line only when the patient has taken no other TKI)."""
    from .advanced_phase import is_advanced  # local: advanced_phase does not depend on mutations

    phase = "advanced" if is_advanced(snapshot, knowledge) else "chronic"
    taken = {e.drug for e in snapshot.tki_exposures if not e.ordered}
    line = "first" if taken <= {tki} else "later"
    rows = [r for r in knowledge.doses if r.tki == tki and r.phase in (phase, "any")]
    if profile.has("T315I") and (t315i := [r for r in rows if r.situation == "t315i"]):
        return t315i[0].text
    standard = [r for r in rows if r.situation == "standard"]
    fitting = [r for r in standard if r.line in (line, "any")] or standard  # ponatinib has no first-line row
    return fitting[0].text if fitting else ""


def _option_text(tki: str, profile: MutationProfile, snapshot: PatientSnapshot, knowledge: Knowledge) -> str:
    notes = [note] if (note := _dose_note(tki, profile, snapshot, knowledge)) else []
    stop = next((e for e in resistance_stops(snapshot) if e.drug == tki), None)
    if stop is not None:
        notes.append(f"**already failed for resistance**{f' (stopped {stop.end})' if stop.end else ''}")
    return f"{tki} ({'; '.join(notes)})" if notes else tki


def _polymorphism_lines(profile: MutationProfile) -> list[str]:
    return [
        f"{variant.name}: {row.text} ({row.source}{'' if row.verified else ', as recalled, unverified: still counted'})"
        for variant, _, row in profile.polymorphisms
    ]


def _polymorphism_finding(profile: MutationProfile, knowledge: Knowledge) -> Finding:
    """Only polymorphisms reported: named, so the report is not silently dropped; no TKI is excluded."""
    names = ", ".join(v.name for v, _, _ in profile.polymorphisms)
    return Finding(
        code=FindingCode.DATA_EXCLUDED,
        severity=Severity.INFO,
        summary=f"{names}: ABL1 polymorphism, not a resistance mutation (no TKI excluded)",
        rules=tuple(knowledge.rule(row) for _, _, row in profile.polymorphisms),
        evidence=tuple(variant_evidence(v, t) for v, t, _ in profile.polymorphisms),
        detail=(
            *_polymorphism_lines(profile),
            "A germline polymorphism is found in healthy controls and has no functional effect: it is not used "
            "as a resistance mutation and excludes no TKI.",
        ),
    )


def _unique_rules(knowledge: Knowledge, rows: list[KnowledgeRow]) -> tuple[RuleRef, ...]:
    seen: dict[str, KnowledgeRow] = {}
    for row in rows:
        seen.setdefault(row.id, row)
    return tuple(knowledge.rule(row) for row in seen.values())


def _summary_and_action(
    profile: MutationProfile, mutations: tuple[str, ...], conflicts: list[str], in_use: dict[str, str]
) -> tuple[str, str]:
    """ "Switch from nilotinib: T315I (2026-11-10) — avoid …; options …", shortened until it fits."""
    dates = [test.taken for _, test in profile.variants]
    found = ", ".join(mutations) + (f" ({max(dates).isoformat()})" if dates else "")
    avoid = ", ".join(profile.avoided)
    left = ", ".join(profile.remaining) or "none (allo-SCT, trial)"
    heads = [("Switch from " if in_use[t] == "current" else "Do not start ") + t for t in conflicts]
    if heads:
        head = " and ".join(heads)
        summary = fit(
            f"{head}: {found} — avoid {avoid}; options {left}",
            f"{head}: {found} — options {left}",
            f"{head}: {', '.join(mutations)}",
        )
        action = f"Stop {', '.join(conflicts)}; choose among {left} by mutation and comorbidity (Soverini 2026)."
        return summary, action
    if not profile.avoid:
        less = ", ".join(sorted(set(profile.cautions) & set(in_use)))
        return (
            fit(f"Weigh {less}: less active with {found} (caution)", f"Weigh {less}: less active (caution)"),
            f"Weigh whether {less} is still the right TKI; it is less active with {', '.join(mutations)}.",
        )
    summary = fit(
        f"Avoid {avoid}: {found}; options {left}",
        f"Avoid {avoid}: {found}",
        f"Avoid {len(profile.avoided)} TKIs: {', '.join(mutations)}",
    )
    return summary, f"When changing TKI, choose among {left}; not {avoid}."


def avoid_tki_findings(snapshot: PatientSnapshot, knowledge: Knowledge) -> list[Finding]:
    """One `avoid-tki` finding listing the TKIs to avoid, why, and what remains."""
    profile = mutation_profile(snapshot, knowledge)
    from .advanced_phase import is_advanced  # local: advanced_phase does not depend on mutations

    current = snapshot.current_tki
    in_use = {e.drug: "ordered" for e in ordered_tkis(snapshot)}
    if current is not None:
        in_use[current.drug] = "current"
    if not profile.avoid and not set(profile.cautions) & set(in_use):
        verified_snps = [row for _, _, row in profile.polymorphisms if row.verified]
        return [_polymorphism_finding(profile, knowledge)] if verified_snps else []
    conflicts = sorted(t for t in profile.avoid if t in in_use)
    progressed = is_advanced(snapshot, knowledge)
    severity = Severity.CRITICAL if conflicts or progressed else Severity.INFO

    detail: list[str] = []
    if conflicts:
        detail.append(
            "**" + "; ".join(f"The {in_use[t]} TKI {t} is among the TKIs to avoid" for t in conflicts) + ".**"
        )
    if profile.avoid:
        detail.append("Mutations exclude ineffective TKIs (Soverini 2026); to avoid:")
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
    option_rows = {row.id: row for _, row in profile.options}  # their wording: extension `optionRules`
    compounds: dict[str, list[str]] = defaultdict(list)
    for variant, compound in profile.compound_rows:
        compounds[variant.name].append(compound.options)
    detail += [f"Compound {name}: " + " · ".join(options) for name, options in compounds.items()]
    for change, row in profile.not_atp_site:
        detail.append(f"{change}: {row.note} ({', '.join(row.tkis)} not excluded by the any-mutation rule)")
    detail += _polymorphism_lines(profile)
    remaining = profile.remaining
    if remaining:
        phase = "advanced phase" if progressed else "chronic phase"
        detail.append(
            f"Remaining options (doses for {phase}): "
            + "; ".join(_option_text(t, profile, snapshot, knowledge) for t in remaining)
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
            f"- {tki}: **{c.display or c.key}**: {row.text}{STRENGTH_NOTE[row.strength]}"
            for tki, (c, row) in option_cautions
        ]

    evidence = [variant_evidence(v, t) for v, t in profile.variants]
    flagged = [m for items in profile.avoid.values() for m, _ in items]
    flagged += [m for items in profile.cautions.values() for m, _ in items]
    if snapshot.transcript_type and any("transcript" in m for m in flagged):
        evidence.append(Evidence("Transcript type", snapshot.transcript_type))
    if current is not None:
        evidence.append(
            Evidence("Current TKI", current.drug, current.start.isoformat() if current.start else None, current.source)
        )
    rows: list[KnowledgeRow] = [row for tki in profile.avoided for _, row in profile.avoid[tki]]
    rows += [row for items in profile.cautions.values() for _, row in items]
    rows += [row for _, row in profile.compound_rows]
    rows += [row for _, row in profile.not_atp_site]
    rows += [row for _, _, row in profile.polymorphisms]
    evidence += [
        Evidence("Comorbidity", c.display or c.key, c.onset.isoformat() if c.onset else None, c.source)
        for c in dict.fromkeys(c for _, (c, _) in option_cautions)
    ]
    mutations = tuple(sorted({v.name for v, _ in profile.variants}))
    summary, action = _summary_and_action(profile, mutations or (snapshot.transcript_type or "",), conflicts, in_use)
    return [
        Finding(
            code=FindingCode.AVOID_TKI,
            severity=severity,
            summary=summary,
            action=action,
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
