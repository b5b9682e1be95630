"""The phase of the disease: at diagnosis, today, and whether it was ever advanced.

Today's phase needs today's evidence. Counts and karyotypes age out (`evidence_windows.toml`), and so does a
phase recorded in the chart (a Condition, or a stage-group Observation: the snapshot's latest of both): after
the `recorded-phase` window, or — accelerated phase only — once BCR::ABL1 fell to ≤1% IS after it (course row
`recorded-phase-response`: ELN 2020 manages de-novo AP with an optimal response as high-risk chronic phase; a
blast phase brought to a second chronic phase is not). What a
past advanced phase still changes — TFR eligibility (first chronic phase only) and the transplant discussion
when the response is lost — reads `ever_advanced`.

An old result is named as too old, never used silently. The scheme is ELN 2013/2020 (AP blasts 15–29%, BP
≥30%); the criteria are rows of `phases.toml`.
"""

from __future__ import annotations

from datetime import date

import msgspec

from ..findings import Evidence
from ..knowledge.loader import Knowledge
from ..knowledge.schema import EvidenceWindowRow, KnowledgeRow, PhaseRow
from ..model import DiseasePhase, LabValue, PatientSnapshot

__all__ = ["ADVANCED", "PhaseAssessment", "PhaseHistory", "assess_phase", "phase_history"]

ADVANCED = frozenset({DiseasePhase.ACCELERATED, DiseasePhase.BLAST})
_RANK = {"accelerated": 1, "blast": 2}
_LABELS = {
    "blasts": ("Blasts", "%"),
    "blasts-promyelocytes": ("Blasts + promyelocytes", "%"),
    "basophils": ("Basophils (blood)", "%"),
    "platelets": ("Platelets", " × 10⁹/L"),
}
_PROGRESSION_GRACE_DAYS = 30  # evidence this long after a line's start still describes the phase it began in


class PhaseAssessment(msgspec.Struct, frozen=True, gc=False):
    """The most advanced phase current evidence shows, with every criterion that showed it."""

    phase: str  # "accelerated" / "blast"
    rows: tuple[KnowledgeRow, ...]  # the phase criteria met, and the evidence windows applied
    evidence: tuple[Evidence, ...]
    too_old: tuple[str, ...] = ()  # results that would have met a criterion but are past their window
    since: date | None = None  # the earliest dated evidence (None: all undated)


class PhaseHistory(msgspec.Struct, frozen=True, gc=False):
    """The phase at diagnosis, today's (`current`, None in chronic phase), and whether it was ever advanced."""

    current: PhaseAssessment | None
    at_diagnosis: DiseasePhase
    at_diagnosis_evidence: Evidence | None
    ever_advanced: bool
    past: tuple[str, ...] = ()  # recorded advanced phases that no longer define today's phase, and why
    past_rows: tuple[KnowledgeRow, ...] = ()

    @property
    def advanced(self) -> bool:
        return self.current is not None

    @property
    def name(self) -> str:
        """ "chronic", "accelerated" or "blast": the phase that decides doses and approvals today."""
        return self.current.phase if self.current is not None else "chronic"

    def at_start(self, start: date | None, first_line: bool) -> str:
        """The phase in force when a line started: what its standard dose is judged against.

        Today's advanced phase counts from its earliest dated evidence: evidence dated (beyond a short
        grace) after the line's start is progression *on* that line, which started in chronic phase. An
        advanced phase at diagnosis is the first line's phase.
        """
        if self.current is not None:
            since = self.current.since
            if start is None or since is None or (since - start).days <= _PROGRESSION_GRACE_DAYS:
                return self.current.phase
        if first_line and self.at_diagnosis in ADVANCED:
            return self.at_diagnosis.value
        return "chronic"


def _measure(snapshot: PatientSnapshot, measure: str) -> LabValue | None:
    if measure == "blasts":
        if snapshot.blast_percent is None:
            return None
        return LabValue(
            snapshot.blast_source or snapshot.phase_source or "", snapshot.blast_date, snapshot.blast_percent
        )
    value: LabValue | None = getattr(snapshot, measure.replace("-", "_"))
    return value


def _fresh(taken: date | None, window: EvidenceWindowRow | None, as_of: date) -> bool:
    """Undated evidence counts (it cannot be shown to be old); dated evidence within its window."""
    return taken is None or window is None or (as_of - taken).days <= window.max_age_days


_Hit = tuple[Evidence, EvidenceWindowRow | None, str | None, date | None]  # evidence, window, "too old", date


def _measured(row: PhaseRow, snapshot: PatientSnapshot, knowledge: Knowledge) -> _Hit | None:
    if row.measure is None or (lab := _measure(snapshot, row.measure)) is None:
        return None
    if row.off_therapy_only and snapshot.current_tki is not None:
        return None
    in_range = (
        (row.at_least is None or lab.value >= row.at_least)
        and (row.above is None or lab.value > row.above)
        and (row.below is None or lab.value < row.below)
    )
    if not in_range:
        return None
    label, unit = _LABELS[row.measure]
    when = lab.taken.isoformat() if lab.taken else None
    window = knowledge.evidence_window(row.measure)
    evidence = Evidence(label, f"{lab.value:g}{unit}", when, lab.source or None)
    if not _fresh(lab.taken, window, snapshot.as_of):
        note = f"{label} {lab.value:g}{unit} ({when}) is older than {window.max_age_days} days" if window else None
        return None if note is None else (evidence, window, note, lab.taken)
    return evidence, window if lab.taken else None, None, lab.taken


def _response_after(snapshot: PatientSnapshot, since: date | None, percent: float) -> date | None:
    """The first result at or below `percent` IS (a "<" limit included) on or after `since`. An undated record
    cannot be placed before any result: only the latest result can show that the phase is over."""
    results = snapshot.transcripts if since is not None else snapshot.transcripts[-1:]
    for result in results:
        if (since is None or result.taken >= since) and result.percent_is <= percent:
            return result.taken
    return None


def _recorded_ended(snapshot: PatientSnapshot, knowledge: Knowledge) -> tuple[str, KnowledgeRow] | None:
    """Why the recorded phase no longer defines today's phase (a note and the row that says so), or None."""
    when = f" {snapshot.phase_date.isoformat()}" if snapshot.phase_date else ""
    window = knowledge.evidence_window("recorded-phase")
    if window is not None and not _fresh(snapshot.phase_date, window, snapshot.as_of):
        return f"{snapshot.phase.value} phase recorded{when} is older than {window.max_age_days} days", window
    response = knowledge.course_rule("recorded-phase-response")
    accelerated = snapshot.phase is DiseasePhase.ACCELERATED  # a blast phase is not ended by a response
    if response is not None and response.percent is not None and accelerated:
        reached = _response_after(snapshot, snapshot.phase_date, response.percent)
        if reached is not None:
            return (
                f"{snapshot.phase.value} phase recorded{when} was followed by BCR::ABL1 ≤{response.percent:g}% IS "
                f"({reached.isoformat()}): managed as chronic phase (ELN 2020)",
                response,
            )
    return None


def _recorded(row: PhaseRow, snapshot: PatientSnapshot, knowledge: Knowledge) -> _Hit | None:
    """The phase recorded in the chart, while it still defines today's phase (module docstring)."""
    if snapshot.phase.value != row.phase:
        return None
    when = snapshot.phase_date.isoformat() if snapshot.phase_date else None
    evidence = Evidence("Recorded phase", snapshot.phase.value, when, snapshot.phase_source)
    ended = _recorded_ended(snapshot, knowledge)
    if ended is not None:
        return evidence, None, ended[0], snapshot.phase_date
    window = knowledge.evidence_window("recorded-phase")
    return evidence, window if snapshot.phase_date else None, None, snapshot.phase_date


def _matches(row: PhaseRow, snapshot: PatientSnapshot, knowledge: Knowledge) -> _Hit | None:
    if row.recorded:
        return _recorded(row, snapshot, knowledge)
    if row.extramedullary:
        if snapshot.extramedullary_blasts_source is None:
            return None
        return (
            Evidence("Extramedullary blasts", "recorded", None, snapshot.extramedullary_blasts_source),
            None,
            None,
            None,
        )
    if row.measure is not None:
        return _measured(row, snapshot, knowledge)
    if row.abnormalities and snapshot.tki_exposures:
        found = sorted(set(row.abnormalities) & set(snapshot.chromosomal_abnormalities))
        if found:
            taken = snapshot.karyotype_date
            when = taken.isoformat() if taken else None
            evidence = Evidence(
                "Additional chromosomal abnormalities on treatment", ", ".join(found), when, snapshot.karyotype_source
            )
            window = knowledge.evidence_window("karyotype")
            if not _fresh(taken, window, snapshot.as_of) and window is not None:
                note = f"karyotype with {', '.join(found)} ({when}) is older than {window.max_age_days} days"
                return evidence, window, note, taken
            return evidence, window if taken else None, None, taken
    return None


def assess_phase(snapshot: PatientSnapshot, knowledge: Knowledge) -> PhaseAssessment | None:
    """None in chronic phase or when nothing current in the record shows an advanced phase."""
    matched = [(row, hit) for row in knowledge.phases if (hit := _matches(row, snapshot, knowledge)) is not None]
    hits = [(row, ev, window, taken) for row, (ev, window, old, taken) in matched if old is None]
    too_old = tuple(old for _, (_, _, old, _) in matched if old is not None)
    if not hits:
        return None
    phase = max((row.phase for row, _, _, _ in hits), key=lambda p: _RANK[p])
    rows: list[KnowledgeRow] = [row for row, _, _, _ in hits]
    rows += list({w.id: w for _, _, w, _ in hits if w is not None}.values())
    dates = [taken for _, _, _, taken in hits if taken is not None]
    return PhaseAssessment(phase, tuple(rows), tuple(e for _, e, _, _ in hits), too_old, min(dates, default=None))


def _past(snapshot: PatientSnapshot, knowledge: Knowledge) -> tuple[tuple[str, ...], tuple[KnowledgeRow, ...]]:
    """A recorded advanced phase that no longer defines today's phase: the note and the rows that say so."""
    row = next((r for r in knowledge.phases if r.recorded and r.phase == snapshot.phase.value), None)
    ended = _recorded_ended(snapshot, knowledge) if row is not None else None
    if row is None or ended is None:
        return (), ()
    return (ended[0],), (row, ended[1])


def phase_history(snapshot: PatientSnapshot, knowledge: Knowledge) -> PhaseHistory:
    """The phase at diagnosis, today's phase by current evidence, and whether it was ever advanced."""
    current = assess_phase(snapshot, knowledge)
    diagnosis = snapshot.diagnosis_phase
    starts = [e.start for e in snapshot.tki_exposures if e.start is not None and not e.ordered]
    first_start = min(starts, default=None)
    dated = snapshot.diagnosis_phase_date
    if dated is not None and first_start is not None and (dated - first_start).days > _PROGRESSION_GRACE_DAYS:
        diagnosis = DiseasePhase.UNKNOWN  # recorded after treatment began: a progression, not the phase at diagnosis
    evidence = None
    if diagnosis is not DiseasePhase.UNKNOWN:
        when = snapshot.diagnosis_phase_date.isoformat() if snapshot.diagnosis_phase_date else None
        evidence = Evidence("Phase at diagnosis", diagnosis.value, when, snapshot.diagnosis_phase_source)
    ever = current is not None or snapshot.phase in ADVANCED or diagnosis in ADVANCED
    past, past_rows = _past(snapshot, knowledge) if snapshot.phase in ADVANCED else ((), ())
    return PhaseHistory(current, diagnosis, evidence, ever, past, past_rows)
