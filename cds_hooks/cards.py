"""Findings → CDS Hooks cards: indicator, summary, Markdown detail, source, suggestions, extension.

One card per finding (after `tki_resistance.consolidation`). The detail has one shape, read in ten seconds:
why, the data used, what to do, then the sources once, each named with guideline, version and year. The
extension keeps everything else machine-readable: every rule in full (`ruleDetails`) and every data point
(`data`), so a clinician or a reviewer can check the reasoning without leaving the EHR.
"""

from __future__ import annotations

import logging
import uuid
from functools import lru_cache
from typing import Any

from fhir_mapping.outbound import kd_mutation_service_request
from tki_resistance.findings import SUMMARY_MAX, Evidence, Finding, FindingCode, RuleRef

from .card_ids import name_uuid
from .models import Action, Card, CdsResponse, Coding, Link, Source, Suggestion

__all__ = [
    "FINDING_EXTENSION",
    "SMART_LINK_LABEL",
    "TOPIC_DISPLAY",
    "TOPIC_SYSTEM",
    "render_card",
    "render_cards",
    "with_smart_link",
]

FINDING_EXTENSION = "org.cmlcds.finding"
TOPIC_SYSTEM = "https://cml-cds.org/fhir/CodeSystem/finding"
OVERRIDE_SYSTEM = "https://cml-cds.org/fhir/CodeSystem/override-reason"
_log = logging.getLogger(__name__)
_CARD_NAMESPACE = uuid.UUID("6f1b5d1e-8a0f-4c55-9a59-0c1f7b9d2c31")
#: How the card's topic names each finding code (the code itself is the machine-readable part).
TOPIC_DISPLAY: dict[FindingCode, str] = {
    FindingCode.MILESTONE_WARNING: "ELN milestone: warning",
    FindingCode.MILESTONE_FAILURE: "ELN milestone: failure",
    FindingCode.MUTATION_TESTING: "Kinase-domain mutation testing",
    FindingCode.AVOID_TKI: "TKIs to avoid",
    FindingCode.EXTRINSIC_CAUSES: "Extrinsic causes of resistance",
    FindingCode.SCT_REFERRAL: "Allogeneic transplant referral",
    FindingCode.ADVANCED_PHASE: "Advanced phase",
    FindingCode.DOSE_CHECK: "Dose check",
    FindingCode.COMORBIDITY_CAUTION: "Comorbidity caution",
    FindingCode.MONITORING_DUE: "BCR::ABL1 monitoring due",
    FindingCode.TFR_ELIGIBLE: "Treatment-free remission",
    FindingCode.RELAPSE: "Relapse off treatment",
    FindingCode.DRUG_INTERACTION: "Drug interaction",
    FindingCode.PRIOR_FAILURE: "Failed before",
    FindingCode.PREGNANCY: "Pregnancy",
    FindingCode.DISCORDANT_RESULTS: "Discordant BCR::ABL1 results",
    FindingCode.DATA_EXCLUDED: "Records not used",
    FindingCode.NOT_ASSESSABLE: "Not assessable",
}
#: Data points printed in the detail; every one is in the extension's `data` as well.
_DATA_SHOWN = 6
SMART_LINK_LABEL = "BCR::ABL1 course (SMART app)"


def _source_label(rule: RuleRef) -> str:
    """The citation of a rule's source: its sources.toml label (guideline, version, year)."""
    return rule.label or rule.source.split(": ", 1)[0]


def _sources(rules: tuple[RuleRef, ...]) -> list[tuple[str, str, bool]]:
    """Each source once, in the order the rules cite them: (label, url, every row from it verified)."""
    seen: dict[str, tuple[str, bool]] = {}
    for rule in rules:
        label = _source_label(rule)
        url, verified = seen.get(label, (rule.url, True))
        seen[label] = (url or rule.url, verified and rule.verified)
    return [(label, url, verified) for label, (url, verified) in seen.items()]


def _citation(label: str, verified: bool) -> str:
    """The label alone: the links are the card's `source.url` and `ruleDetails[].url` in the extension."""
    return label if verified else label + " — unverified"


def _banner(sources: list[tuple[str, str, bool]]) -> list[str]:
    unverified = [label for label, _, ok in sources if not ok]
    if not unverified:
        return []
    return [
        "> **Unverified rule**: part of this card rests on rows not checked against their primary source "
        f"({'; '.join(unverified)}). Use clinical judgement.",
        "",
    ]


def _data_line(item: Evidence) -> str:
    when = f" ({item.date})" if item.date else ""
    ref = f" — `{item.reference}`" if item.reference else ""
    return f"- {item.label}: {item.value}{when}{ref}"


def _detail(finding: Finding) -> str:
    """Why, the data used, what to do, then the sources once: the shape every card has."""
    sources = _sources(finding.rules)
    lines = _banner(sources)
    for paragraph in finding.detail:
        if paragraph.startswith("- "):
            lines.append(paragraph)
        else:  # a blank line first, so that a paragraph after a list is not read as part of its last item
            lines += ["", paragraph, ""]
    if finding.evidence:
        lines += ["", "**Data used**", ""]
        lines += [_data_line(item) for item in finding.evidence[:_DATA_SHOWN]]
        hidden = len(finding.evidence) - _DATA_SHOWN
        if hidden > 0:
            lines.append(f"- {hidden} more data points: in the card's extension (`data`)")
    if finding.action:
        lines += ["", f"**What to do**: {finding.action}"]
    if sources:
        lines += ["", "*Sources*: " + "; ".join(_citation(label, ok) for label, _, ok in sources) + "."]
    return "\n".join(lines).strip().replace("\n\n\n", "\n\n")


def _summary(text: str) -> str:
    """Stages build summaries that fit (`tki_resistance.findings.fit`). Only text from the record (a very
    long drug or condition name) can still overflow: then the summary ends at the last clause that fits,
    never with "…" (the detail and the extension carry the rest)."""
    if len(text) <= SUMMARY_MAX:
        return text
    _log.warning("summary over %d characters shortened at a clause boundary", SUMMARY_MAX)
    head = text[:SUMMARY_MAX]
    cut = max(head.rfind("; "), head.rfind(", "), head.rfind(" ("), head.rfind(": "))
    return head[:cut] if cut > 40 else head[: head.rfind(" ")]


def _extension(finding: Finding) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": finding.code.value,
        "guideline": finding.guideline,
        "rules": [rule.id for rule in finding.rules],
        "verified": finding.verified,
        "ruleDetails": [
            {"id": r.id, "guideline": r.guideline, "source": r.source, "verified": r.verified, "text": r.text}
            | ({"url": r.url} if r.url else {})
            for r in finding.rules
        ],
        "data": [
            {
                k: v
                for k, v in (("label", e.label), ("value", e.value), ("date", e.date), ("reference", e.reference))
                if v
            }
            for e in finding.evidence
        ],
    }
    if finding.code is FindingCode.AVOID_TKI:
        data["avoid"] = sorted(finding.avoid)
    if finding.mutations:
        data["mutations"] = list(finding.mutations)
    if finding.response is not None:
        data["response"] = finding.response
    data.update(finding.extra)
    return {FINDING_EXTENSION: data}


def _suggestions(finding: Finding, patient_id: str, card_id: str) -> list[Suggestion] | None:
    if not finding.suggest_service_request:
        return None
    request = kd_mutation_service_request(patient_id, reason=finding.summary)
    return [
        Suggestion(
            label="Order BCR::ABL1 kinase-domain mutation analysis (NGS)",
            uuid=name_uuid(_CARD_NAMESPACE, card_id + ":order-kd"),
            isRecommended=True,
            actions=[
                Action(type="create", description="Order BCR::ABL1 KD mutation analysis by NGS", resource=request)
            ],
        )
    ]


def render_card(finding: Finding, patient_id: str, hook_instance: str, index: int) -> Card:
    """One card; its uuid is derived from the hook instance, so a retried call gives the same uuids."""
    card_id = name_uuid(_CARD_NAMESPACE, f"{hook_instance}:{index}:{finding.code.value}")
    first = finding.rules[0] if finding.rules else None
    label = _source_label(first) if first else "cml-cds"
    suggestions = _suggestions(finding, patient_id, card_id)
    return Card(
        uuid=card_id,
        summary=_summary(finding.summary),
        detail=_detail(finding),
        indicator=finding.severity.value,
        source=Source(
            label=label,
            url=first.url or None if first else None,
            topic=Coding(
                system=TOPIC_SYSTEM,
                code=finding.code.value,
                display=TOPIC_DISPLAY.get(finding.code, finding.code.value),
            ),
        ),
        suggestions=suggestions,
        selectionBehavior="at-most-one" if suggestions else None,
        overrideReasons=[
            Coding(system=OVERRIDE_SYSTEM, code=_slug(reason), display=reason) for reason in finding.override_reasons
        ]
        or None,
        extension=_extension(finding),
    )


@lru_cache(maxsize=1024)  # override reasons are a small fixed set of sentences: slug each once
def _slug(text: str) -> str:
    return "-".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())


def render_cards(findings: list[Finding], patient_id: str, hook_instance: str) -> list[Card]:
    return [render_card(f, patient_id, hook_instance, i) for i, f in enumerate(findings)]


def with_smart_link(response: CdsResponse, launch_url: str) -> CdsResponse:
    """Every card gains a `smart` link to the app's launch URL; the EHR adds `iss` and `launch` to it. The
    caller decides whether a launch can work (routes: a SMART client configured for the call's fhirServer)."""
    link = Link(label=SMART_LINK_LABEL, url=launch_url, type="smart", autolaunchable=False, autoLaunchable=False)
    cards = [card.model_copy(update={"links": [*(card.links or []), link]}) for card in response.cards]
    return response.model_copy(update={"cards": cards})
