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

from ..evidence import variant_evidence
from ..findings import Evidence, Finding, FindingCode, RuleRef, Severity, fit
from ..knowledge.loader import Knowledge
from ..knowledge.schema import KnowledgeRow
from ..state import ClinicalState
from ..state.history import ordered_tkis
from ..state.mutations import MutationProfile
from ..state.options import Options
from .comorbidity import STRENGTH_NOTE, cautions_for, comorbidity_rules
from .option_lines import option_lines, options_extra

__all__ = ["avoid_tki_findings"]


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
    profile: MutationProfile,
    options: Options,
    mutations: tuple[str, ...],
    conflicts: list[str],
    in_use: dict[str, str],
) -> tuple[str, str]:
    """ "Switch from nilotinib: T315I (2026-11-10) — avoid …; options …", shortened until it fits. The options
    are the clinical state's: what the mutations leave, less what failed and what today's phase rules out."""
    dates = [test.taken for _, test in profile.variants]
    found = ", ".join(mutations) + (f" ({max(dates).isoformat()})" if dates else "")
    avoid = ", ".join(profile.avoided)
    left = ", ".join(o for o in options.names if o not in conflicts) or (
        f"none while {options.no_tki}" if options.no_tki else "none (allo-SCT, trial)"
    )
    switch = "Stop " if options.no_tki else "Switch from "  # no TKI to switch to while pregnant
    heads = [(switch if in_use[t] == "current" else "Do not start ") + t for t in conflicts]
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


def avoid_tki_findings(state: ClinicalState, knowledge: Knowledge) -> list[Finding]:
    """One `avoid-tki` finding listing the TKIs to avoid, why, and what remains (the state's options)."""
    snapshot = state.snapshot
    profile = state.mutations

    current = snapshot.current_tki
    in_use = {e.drug: "ordered" for e in ordered_tkis(snapshot)}
    if current is not None:
        in_use[current.drug] = "current"
    if not profile.avoid and not set(profile.cautions) & set(in_use):
        verified_snps = [row for _, _, row in profile.polymorphisms if row.verified]
        return [_polymorphism_finding(profile, knowledge)] if verified_snps else []
    conflicts = sorted(t for t in profile.avoid if t in in_use)
    progressed = state.phase.advanced
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
    remaining = state.options.names
    detail += option_lines(state.options)
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
    summary, action = _summary_and_action(
        profile, state.options, mutations or (snapshot.transcript_type or "",), conflicts, in_use
    )
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
                **options_extra(state.options),
                "conflicts": conflicts,
                "optionRules": sorted(option_rows),
                "optionCautions": sorted({f"{tki}:{row.comorbidity}" for tki, (_, row) in option_cautions}),
            },
        )
    ]
