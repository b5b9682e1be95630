"""`ClinicalState`: the patient as the clinician sums them up, derived once per call.

Every stage of patient-view, order-select and order-sign (and the SMART app's course view) reads this one
object instead of working the answer out again, so that the cards of a call tell one story: one phase, one
ELN verdict for the current line, one list of options. It is built from the snapshot and the knowledge by
`build_state`, and nothing in it depends on the order of the resources in the record.
"""

from __future__ import annotations

from datetime import date

import msgspec

from ..knowledge.loader import Knowledge
from ..model import PatientSnapshot, Pregnancy, TkiExposure, TranscriptResult, TreatmentLine
from .history import TkiRecord, tki_record
from .label_step import LabelStep, label_step
from .lines import OffTreatment, build_lines, off_treatment
from .milestones import MilestoneAssessment, assess_history
from .missing_tki import MissingTki, missing_tki
from .mutations import MutationProfile, mutation_profile
from .options import Options, options_for
from .organ import OrganState, organ_state
from .own_scale import OwnScaleSeries, own_scale_series
from .phase import PhaseHistory, phase_history
from .pregnancy import current_pregnancy
from .relapse import Relapse, detect_relapse
from .series import ResultSeries, reconcile
from .verdict import LineVerdict, line_verdict

__all__ = ["ClinicalState", "build_state"]

_DEFAULT_GAP_DAYS = 92  # only when the knowledge base lacks the `line-interruption` row
_DEFAULT_KD_FLOOR = 0.1  # only when the knowledge base lacks the `own-scale-kd-floor` row


class ClinicalState(msgspec.Struct, frozen=True, gc=False):
    """What every stage reads. `snapshot` holds the facts, with the reconciled decision series as its
    `transcripts` (date order, one per day, discordant results held out) and its treatment lines derived."""

    snapshot: PatientSnapshot
    tkis: TkiRecord  # the line number, the earlier TKIs and the stops, read once (state/history.py)
    series: ResultSeries
    phase: PhaseHistory
    mutations: MutationProfile
    verdict: LineVerdict | None  # the current line's ELN 2020 verdict (None: no current TKI, nothing judged yet)
    label_step: LabelStep | None
    options: Options
    off_treatment: OffTreatment | None
    relapse: tuple[OffTreatment, Relapse] | None
    history: tuple[tuple[TranscriptResult, MilestoneAssessment | None], ...]  # every result of the current line
    organ: OrganState  # renal and hepatic function and electrolytes today (issue #23)
    pregnancy: Pregnancy | None = None  # pregnant, breastfeeding or planning today (state/pregnancy.py)

    @property
    def pregnant(self) -> bool:
        return self.pregnancy is not None and self.pregnancy.status.value == "pregnant"

    @property
    def no_tki_now(self) -> str | None:
        """ "pregnant" or "breastfeeding" when no TKI is to be given now (the pregnancy card leads), else None."""
        return self.options.no_tki

    own_scale: tuple[OwnScaleSeries, ...] = ()  # an atypical transcript's own series, one per transcript
    missing_tki: MissingTki | None = None  # no TKI recorded, yet results that fell as on treatment

    @property
    def as_of(self) -> date:
        return self.snapshot.as_of

    @property
    def current_tki(self) -> TkiExposure | None:
        return self.snapshot.current_tki

    @property
    def current_line(self) -> TreatmentLine | None:
        return self.snapshot.current_line

    @property
    def milestone(self) -> MilestoneAssessment | None:
        """The milestone assessment of the current line (None with an atypical transcript or nothing to judge)."""
        return self.verdict.milestone if self.verdict is not None else None

    @property
    def line_number(self) -> int:
        """1 for first line; each distinct earlier drug adds one (state/history.py)."""
        return self.tkis.line_number


def _kd_floor(knowledge: Knowledge) -> float:
    row = knowledge.course_rule("own-scale-kd-floor")
    return row.percent if row is not None and row.percent is not None else _DEFAULT_KD_FLOOR


def _gap_days(knowledge: Knowledge) -> int:
    row = knowledge.course_rule("line-interruption")
    return row.days if row is not None and row.days is not None else _DEFAULT_GAP_DAYS


def build_state(snapshot: PatientSnapshot, knowledge: Knowledge) -> ClinicalState:
    """The clinical state of `snapshot` (see the module docstring); pure, and the same for any record order."""
    series = reconcile(snapshot.transcripts, knowledge.course_rule("discordant-results"))
    organ = organ_state(snapshot, knowledge)
    # a recent low potassium or magnesium is hypokalaemia / hypomagnesaemia today; a later normal result
    # sets aside the Condition it corrected (state/organ.py)
    comorbidities = [c for c in snapshot.comorbidities if c not in organ.corrected] + list(organ.low_electrolytes)
    lines = build_lines(snapshot.tki_exposures, _gap_days(knowledge))
    facts = msgspec.structs.replace(
        snapshot,
        transcripts=series.results,
        lines=lines,
        # every list in one order whatever the order of the record: the cards must not depend on it
        comedications=tuple(sorted(snapshot.comedications, key=lambda m: (m.name.lower(), m.source))),
        comorbidities=tuple(sorted(comorbidities, key=lambda c: (c.key, c.source))),
        kinase_domain_tests=tuple(sorted(snapshot.kinase_domain_tests, key=lambda t: (t.taken, t.source))),
    )
    tkis = tki_record(facts)
    phase = phase_history(facts, knowledge)
    profile = mutation_profile(facts, tkis.failed, knowledge)
    verdict = line_verdict(facts, profile, knowledge)
    step = label_step(facts, phase.advanced, knowledge)
    failing = verdict.drug if verdict is not None and verdict.failure and step is None else None
    pregnancy = current_pregnancy(facts, knowledge)
    no_tki = pregnancy.status.value if pregnancy is not None and pregnancy.status.value != "planning" else None
    options = options_for(facts, tkis, profile, phase.name, failing, knowledge, no_tki=no_tki)
    current = facts.current_tki
    history = (
        tuple(assess_history(current, facts.transcripts, knowledge.milestones))
        if current is not None and current.start is not None
        else ()
    )
    off = off_treatment(facts)
    own = own_scale_series(snapshot.own_scale, current.start if current is not None else None, _kd_floor(knowledge))
    missing = (
        missing_tki(facts.transcripts, knowledge.course_rule("tki-missing"))
        if off is not None and off.kind == "new-diagnosis"
        else None
    )
    return ClinicalState(
        snapshot=facts,
        tkis=tkis,
        series=series,
        phase=phase,
        mutations=profile,
        verdict=verdict,
        label_step=step,
        options=options,
        off_treatment=off,
        relapse=detect_relapse(facts, knowledge),
        history=history,
        pregnancy=pregnancy,
        own_scale=own,
        missing_tki=missing,
        organ=organ,
    )
