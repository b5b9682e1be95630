"""Findings → CDS Hooks cards: indicator, summary, Markdown detail, source, suggestions, extension.

One card per finding. The card names the rule (id, guideline, source, verified or not) and every data
point the finding used, so a clinician can check the reasoning without leaving the EHR.
"""

from __future__ import annotations

import uuid
from functools import lru_cache
from typing import Any

from fhir_mapping.outbound import kd_mutation_service_request
from tki_resistance.findings import Finding, FindingCode, RuleRef

from .models import Action, Card, CdsResponse, Coding, Link, Source, Suggestion

__all__ = ["FINDING_EXTENSION", "SMART_LINK_LABEL", "TOPIC_SYSTEM", "render_card", "render_cards", "with_smart_link"]

FINDING_EXTENSION = "org.cmlcds.finding"
TOPIC_SYSTEM = "https://cml-cds.org/fhir/CodeSystem/finding"
OVERRIDE_SYSTEM = "https://cml-cds.org/fhir/CodeSystem/override-reason"
_CARD_NAMESPACE = uuid.UUID("6f1b5d1e-8a0f-4c55-9a59-0c1f7b9d2c31")
_SUMMARY_MAX = 139
SMART_LINK_LABEL = "BCR::ABL1 course (SMART app)"


def _rule_line(rule: RuleRef) -> str:
    status = "verified" if rule.verified else "**UNVERIFIED**: not yet checked against its source"
    label = status if rule.guideline == "unverified" else f"{rule.guideline}, {status}"
    text = f" — {rule.text}" if rule.text else ""
    return f"- `{rule.id}` ({label}): {rule.source}{text}"


def _detail(finding: Finding) -> str:
    lines: list[str] = []
    if not finding.verified:
        lines += [
            "> **Unverified rule.** At least one rule behind this card is not yet verified against "
            "its published source. Use clinical judgement.",
            "",
        ]
    for paragraph in finding.detail:
        lines += [paragraph, ""]
    if finding.evidence:
        lines += ["", "**Data used**", ""]
        for item in finding.evidence:
            when = f" ({item.date})" if item.date else ""
            ref = f" — `{item.reference}`" if item.reference else ""
            lines.append(f"- {item.label}: {item.value}{when}{ref}")
    lines += ["", "**Rule**", ""] + [_rule_line(rule) for rule in finding.rules]
    return "\n".join(lines).strip()


def _summary(text: str) -> str:
    return text if len(text) <= _SUMMARY_MAX else text[: _SUMMARY_MAX - 1].rstrip() + "…"


def _extension(finding: Finding) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": finding.code.value,
        "guideline": finding.guideline,
        "rules": [rule.id for rule in finding.rules],
        "verified": finding.verified,
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
            uuid=str(uuid.uuid5(_CARD_NAMESPACE, card_id + ":order-kd")),
            isRecommended=True,
            actions=[
                Action(type="create", description="Order BCR::ABL1 KD mutation analysis by NGS", resource=request)
            ],
        )
    ]


def render_card(finding: Finding, patient_id: str, hook_instance: str, index: int) -> Card:
    """One card; its uuid is derived from the hook instance, so a retried call gives the same uuids."""
    card_id = str(uuid.uuid5(_CARD_NAMESPACE, f"{hook_instance}:{index}:{finding.code.value}"))
    first = finding.rules[0] if finding.rules else None
    label = f"cml-cds · {finding.guideline}"
    suggestions = _suggestions(finding, patient_id, card_id)
    return Card(
        uuid=card_id,
        summary=_summary(finding.summary),
        detail=_detail(finding),
        indicator=finding.severity.value,
        source=Source(
            label=label,
            url=first.url or None if first else None,
            topic=Coding(system=TOPIC_SYSTEM, code=finding.code.value, display=finding.code.value),
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
    """Every card gains a `smart` link to the app's launch URL; the EHR adds `iss` and `launch` to it."""
    link = Link(label=SMART_LINK_LABEL, url=launch_url, type="smart", autolaunchable=False, autoLaunchable=False)
    cards = [card.model_copy(update={"links": [*(card.links or []), link]}) for card in response.cards]
    return response.model_copy(update={"cards": cards})
