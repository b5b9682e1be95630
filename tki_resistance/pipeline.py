"""assess(snapshot, knowledge) → findings: the one entry point of the clinical core."""

from __future__ import annotations

from collections.abc import Callable

from .data_quality import data_quality_findings
from .findings import Finding
from .knowledge_base import Knowledge
from .model import PatientSnapshot
from .response import response_findings

__all__ = ["STAGES", "assess"]

Stage = Callable[[PatientSnapshot, Knowledge], list[Finding]]

#: The Soverini–ELN framework, in the order a haematologist works through it.
STAGES: tuple[Stage, ...] = (response_findings,)


def assess(snapshot: PatientSnapshot, knowledge: Knowledge) -> list[Finding]:
    """Run every stage; the findings come back in stage order, data-quality findings last."""
    findings: list[Finding] = []
    for stage in STAGES:
        findings.extend(stage(snapshot, knowledge))
    findings.extend(data_quality_findings(snapshot))
    return findings
