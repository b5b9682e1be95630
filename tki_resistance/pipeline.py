"""assess(snapshot, knowledge) → findings: the one entry point of the clinical core.

The clinical state is built once (state/clinical.py); every stage reads it, so the cards of a call cannot
disagree about the phase, the verdict of the line or the options.
"""

from __future__ import annotations

from collections.abc import Callable

from .consolidation import consolidate
from .findings import Finding
from .knowledge.loader import Knowledge
from .model import PatientSnapshot
from .stages.advanced_phase import advanced_phase_findings
from .stages.atypical_transcript import atypical_transcript_findings
from .stages.avoid_tki import avoid_tki_findings
from .stages.comorbidity import comorbidity_findings
from .stages.data_quality import data_quality_findings
from .stages.discordant_results import discordant_results_findings
from .stages.dose_check import dose_check_findings
from .stages.drug_interaction import drug_interaction_findings
from .stages.extrinsic_causes import extrinsic_causes_findings
from .stages.monitoring import monitoring_findings
from .stages.mutation_testing import mutation_testing_findings
from .stages.pregnancy import pregnancy_findings
from .stages.relapse import relapse_findings
from .stages.response import response_findings
from .stages.sct_referral import sct_referral_findings
from .stages.tfr import tfr_findings
from .state import ClinicalState, build_state

__all__ = ["STAGES", "assess", "assess_stages", "assess_state"]

Stage = Callable[[ClinicalState, Knowledge], list[Finding]]

#: The Soverini–ELN framework, in the order a haematologist works through it.
STAGES: tuple[Stage, ...] = (
    pregnancy_findings,
    advanced_phase_findings,
    relapse_findings,
    discordant_results_findings,
    response_findings,
    atypical_transcript_findings,
    extrinsic_causes_findings,
    drug_interaction_findings,
    mutation_testing_findings,
    avoid_tki_findings,
    dose_check_findings,
    sct_referral_findings,
    comorbidity_findings,
    monitoring_findings,
    tfr_findings,
)


def assess_state(state: ClinicalState, knowledge: Knowledge) -> list[Finding]:
    """Every stage's findings for one state, in stage order, data-quality findings last: before consolidation."""
    findings: list[Finding] = []
    for stage in STAGES:
        findings.extend(stage(state, knowledge))
    findings.extend(data_quality_findings(state))
    return findings


def assess_stages(snapshot: PatientSnapshot, knowledge: Knowledge) -> list[Finding]:
    """`assess_state` on the snapshot's clinical state."""
    return assess_state(build_state(snapshot, knowledge), knowledge)


def assess(snapshot: PatientSnapshot, knowledge: Knowledge) -> list[Finding]:
    """The findings a clinician reads: one per thing to do, critical first (consolidation.py)."""
    return consolidate(assess_stages(snapshot, knowledge))
