"""The internal model: what the algorithm knows about one patient, in clinicians' words.

Every class is a frozen msgspec Struct built by `fhir_mapping` and read by the algorithm. Nothing here knows
about FHIR or HTTP: a fact carries the id of the record it came from (`source`) only so that a card can
name the data point it used.
"""

from __future__ import annotations

import itertools
from datetime import date
from enum import StrEnum
from functools import cached_property

import msgspec

__all__ = [
    "COMORBIDITY_KEYS",
    "DETECTION_LIMIT",
    "TKIS",
    "TYPICAL_TRANSCRIPTS",
    "Comedication",
    "Comorbidity",
    "Comparator",
    "DiseasePhase",
    "Exclusion",
    "KinaseDomainTest",
    "LabValue",
    "OrganFunction",
    "OwnScaleResult",
    "PatientSnapshot",
    "Pregnancy",
    "PregnancyStatus",
    "StopReason",
    "TkiExposure",
    "TranscriptResult",
    "TreatmentLine",
    "Variant",
    "months_between",
]

#: The six BCR::ABL1 tyrosine kinase inhibitors, lowercase INN, as the contract spells them.
TKIS: tuple[str, ...] = ("imatinib", "dasatinib", "nilotinib", "bosutinib", "ponatinib", "asciminib")

DAYS_PER_MONTH = 365.25 / 12

#: The transcripts standard IS qPCR measures (ELN 2020: TFR needs one of them).
TYPICAL_TRANSCRIPTS: frozenset[str] = frozenset({"e13a2", "e14a2"})

#: The comorbidity vocabulary shared by the mapping (SNOMED CT / ICD-10 → key) and the knowledge tables.
COMORBIDITY_KEYS: frozenset[str] = frozenset(
    {
        "hypertension",
        "uncontrolled-hypertension",
        "diabetes",
        "dyslipidaemia",
        "smoking",
        "coronary-artery-disease",
        "cerebrovascular-disease",
        "peripheral-arterial-disease",
        "heart-failure",
        "pleural-effusion",
        "pericardial-effusion",
        "lung-disease",
        "pulmonary-hypertension",
        "qt-prolongation",
        "pancreatitis",
        "liver-disease",
        "kidney-disease",
        "gi-disease",
        "bleeding-risk",
        "venous-thromboembolism",
        "hepatitis-b",
        "hypokalaemia",
        "hypomagnesaemia",
        "long-qt-syndrome",
    }
)


def months_between(start: date, end: date) -> float:
    """Months from `start` to `end` as a decimal (30.44-day months), the unit of ELN milestones."""
    return (end - start).days / DAYS_PER_MONTH


class Comparator(StrEnum):
    """How a reported BCR::ABL1 value relates to the true level."""

    EQUAL = "="
    LESS_THAN = "<"
    AT_MOST = "<="


#: The comparators of a detection limit: "<0.0032" says the level is below the assay's sensitivity, not what
#: it is. (Asked of every result, so a set: on Python 3.11 `Comparator.EQUAL` is an attribute look-up through
#: the enum's metaclass, ~4x a set's, cpython#93910.)
DETECTION_LIMIT = frozenset({Comparator.LESS_THAN, Comparator.AT_MOST})


class StopReason(StrEnum):
    """Why a TKI was stopped: only resistance counts toward failure; intolerance never does."""

    RESISTANCE = "resistance"
    INTOLERANCE = "intolerance"
    TFR = "treatment-free-remission"
    OTHER = "other"
    UNKNOWN = "unknown"


class DiseasePhase(StrEnum):
    CHRONIC = "chronic"
    ACCELERATED = "accelerated"
    BLAST = "blast"
    UNKNOWN = "unknown"


class TranscriptResult(msgspec.Struct, frozen=True, gc=False):
    """One BCR::ABL1 result on the International Scale, in percent.

    `percent_is` is the reported value; with `comparator` "<" the true level is below it (an undetectable
    result with a sensitivity limit). `control_copies` (ABL1 or GUSB) lets undetectable results be scored
    as MR4 / MR4.5 / MR5 by the EUTOS rules.
    """

    source: str
    taken: date
    percent_is: float
    comparator: Comparator = Comparator.EQUAL
    detected: bool = True
    control_gene: str | None = None
    control_copies: int | None = None
    preliminary: bool = False


class OwnScaleResult(msgspec.Struct, frozen=True, gc=False):
    """One BCR::ABL1 result of a transcript-specific assay, on that transcript's own scale (*not* the IS).

    An atypical transcript (e1a2, e19a2, e13a3, …) is not measured by standard IS qPCR; its assay reports
    BCR::ABL1/control as a percentage that only compares with the same patient's earlier results of the same
    transcript. Never mixed with `TranscriptResult` (IS) values. `percent` is the reported value; with
    `comparator` "<" the true level is below it (undetectable, with the assay's limit).
    """

    source: str
    taken: date
    transcript: str  # the atypical transcript the result names (e1a2, e19a2, e13a3, …)
    percent: float  # BCR::ABL1 / control transcript, percent, as reported
    comparator: Comparator = Comparator.EQUAL
    detected: bool = True
    control_gene: str | None = None
    preliminary: bool = False


class Variant(msgspec.Struct, frozen=True, gc=False):
    """A BCR::ABL1 kinase-domain variant, one-letter protein change without `p.` (e.g. `T315I`).

    A compound mutation (two changes on the same molecule) has `components` of two or more changes and
    `name` joined with `/` (`T315I/E255V`).
    """

    name: str
    components: tuple[str, ...]
    allele_fraction: float | None = None

    @property
    def is_compound(self) -> bool:
        return len(self.components) > 1


class KinaseDomainTest(msgspec.Struct, frozen=True, gc=False):
    """One kinase-domain mutation analysis: no variants means "no mutation detected", still a test done."""

    source: str
    taken: date
    variants: tuple[Variant, ...] = ()
    method: str | None = None


class TkiExposure(msgspec.Struct, frozen=True, gc=False):
    """One period on one TKI (a line of therapy when the drug changes)."""

    source: str
    drug: str
    start: date | None
    end: date | None = None
    daily_dose_mg: float | None = None
    dose_text: str | None = None
    doses_per_day: int | None = None
    active: bool = True
    stop_reason: StopReason | None = None
    ordered: bool = False
    stop_detail: str | None = None  # the recorded reason as written (e.g. "pleural effusion"), where given


class TreatmentLine(msgspec.Struct, frozen=True, gc=False):
    """One line of therapy: consecutive records of one TKI (dose changes, new statements, short interruptions).

    A different TKI, an interruption longer than the knowledge base allows, or a restart after a stop for
    treatment-free remission starts a new line (`after_tfr`). `current` is the latest record with the
    line's start: what the milestones and `response.months` count from. Build a line with `of`, which
    derives `active` and `current` from the records once (stages ask for the current line many times per
    call); the constructor takes them as given.
    """

    drug: str
    start: date | None
    records: tuple[TkiExposure, ...]
    active: bool  # any record active (derived by `of`)
    current: TkiExposure  # the latest active record (else the last), dated from the line's start (`of`)
    after_tfr: bool = False

    @classmethod
    def of(
        cls, drug: str, start: date | None, records: tuple[TkiExposure, ...], after_tfr: bool = False
    ) -> TreatmentLine:
        """The line of `records`, with `active` and `current` derived from them."""
        active = any(r.active for r in records)
        latest = max((r for r in records if r.active), key=lambda r: r.start or date.min, default=records[-1])
        current = latest if latest.start == start else msgspec.structs.replace(latest, start=start)
        return cls(drug, start, records, active, current, after_tfr)

    @property
    def last(self) -> TkiExposure:
        return self.records[-1]

    @property
    def end(self) -> date | None:
        return None if self.active else self.last.end

    @property
    def stop_reason(self) -> StopReason | None:
        return None if self.active else self.last.stop_reason

    def interruptions(self) -> list[tuple[TkiExposure, TkiExposure]]:
        """(before, after) record pairs with days off treatment between them (after starts past before's end)."""
        gaps: list[tuple[TkiExposure, TkiExposure]] = []
        for before, after in itertools.pairwise(self.records):
            if before.end is not None and after.start is not None and after.start > before.end:
                gaps.append((before, after))
        return gaps

    def dose_changes(self) -> list[tuple[TkiExposure, TkiExposure]]:
        """(before, after) for each record whose daily dose differs from the record before it."""
        changes: list[tuple[TkiExposure, TkiExposure]] = []
        dosed = [r for r in self.records if r.daily_dose_mg is not None]
        for before, after in itertools.pairwise(dosed):
            if before.daily_dose_mg != after.daily_dose_mg:
                changes.append((before, after))
        return changes


class Comedication(msgspec.Struct, frozen=True, gc=False):
    """A non-TKI drug the patient takes, for interaction checks."""

    source: str
    name: str
    codes: tuple[str, ...] = ()


class Comorbidity(msgspec.Struct, frozen=True, gc=False):
    """A recorded condition, keyed by the knowledge base's comorbidity vocabulary (e.g. `hypertension`)."""

    source: str
    key: str
    display: str
    onset: date | None = None
    code_verified: bool = True  # False: the code → key mapping is from memory, not checked (said on the card)


class PregnancyStatus(StrEnum):
    """What the chart says about pregnancy: pregnant, breastfeeding, or a pregnancy planned."""

    PREGNANT = "pregnant"
    BREASTFEEDING = "breastfeeding"
    PLANNING = "planning"


class Pregnancy(msgspec.Struct, frozen=True, gc=False):
    """The latest record of one pregnancy status (fhir_mapping/pregnancy.py; codes in pregnancy_codes.toml).

    `recorded` is the record's date (None: undated); `due` an estimated delivery date where one is recorded;
    `how` what the record says, for the card; `code_verified` False when only a phrase of free text was read.
    """

    status: PregnancyStatus
    source: str
    recorded: date | None
    how: str
    due: date | None = None
    code_verified: bool = True


class Exclusion(msgspec.Struct, frozen=True, gc=False):
    """A record the service did not use, and why: shown to the clinician, never silently dropped."""

    reference: str
    reason: str


class LabValue(msgspec.Struct, frozen=True, gc=False):
    """One dated measurement (a count or percentage) with the record it came from."""

    source: str
    taken: date | None
    value: float


class OrganFunction(msgspec.Struct, frozen=True, gc=False):
    """One measure of kidney or liver function, or of a serum electrolyte, with the record it came from.

    `measure`: `creatinine-clearance` or `egfr` (mL/min; eGFR per 1.73 m²), `child-pugh` (`value` the score
    where given, `grade` the class A/B/C), `potassium` or `magnesium` (mmol/L). `low` is the lower limit of
    the Observation's own reference range (same unit), where it gives one.
    """

    measure: str
    source: str
    taken: date | None
    value: float | None = None
    unit: str = ""
    grade: str | None = None
    low: float | None = None


class PatientSnapshot(msgspec.Struct, frozen=True, dict=True):
    """Everything the algorithm may use about one patient on one day (`as_of`).

    With a `__dict__` (one per request): it holds the current line and TKI once derived (`cached_property`),
    which the stages ask for ~30 times per assessment. msgspec refuses `gc=False` with `dict=True`; the
    snapshot stays tracked by the garbage collector, which costs one object per call.
    """

    patient_id: str
    as_of: date
    transcripts: tuple[TranscriptResult, ...] = ()
    own_scale: tuple[OwnScaleResult, ...] = ()  # atypical transcripts' own-scale results (never on the IS)
    kinase_domain_tests: tuple[KinaseDomainTest, ...] = ()
    tki_exposures: tuple[TkiExposure, ...] = ()
    comedications: tuple[Comedication, ...] = ()
    comorbidities: tuple[Comorbidity, ...] = ()
    phase: DiseasePhase = DiseasePhase.UNKNOWN
    phase_source: str | None = None
    phase_date: date | None = None  # when the recorded phase was diagnosed, where known
    diagnosis_phase: DiseasePhase = DiseasePhase.UNKNOWN  # the earliest phase recorded (the phase at diagnosis)
    diagnosis_phase_date: date | None = None
    diagnosis_phase_source: str | None = None
    blast_percent: float | None = None
    chromosomal_abnormalities: tuple[str, ...] = ()  # normalised: "+8", "+Ph", "i(17q)", "+19", "-7/7q-", …
    allogeneic_transplant: date | None = None
    birth_date: date | None = None
    transcript_type: str | None = None  # "e13a2", "e14a2", "e1a2", "e13a3", … where recorded
    tfr_goal: bool = False
    exclusions: tuple[Exclusion, ...] = ()
    unavailable: tuple[str, ...] = ()  # kinds of data the EHR did not provide (checks not done)
    # Added by the FHIR mapping (issue #3), all optional: where the facts above came from.
    blast_source: str | None = None  # the Observation behind `blast_percent`
    cml_diagnosis_sources: tuple[str, ...] = ()  # Conditions coding CML (SNOMED 92818009, ICD-10 C92.1x)
    bcr_abl1_fusion_sources: tuple[str, ...] = ()  # Observations showing the fusion itself (variant or t(9;22))
    # Added for issue #9 (phase criteria): dates and sources of the phase evidence, and blood counts.
    blast_date: date | None = None
    karyotype_source: str | None = None
    karyotype_date: date | None = None
    basophils: LabValue | None = None  # % of leukocytes in blood
    platelets: LabValue | None = None  # 10^9/L
    blasts_promyelocytes: LabValue | None = None  # blasts + promyelocytes, %
    extramedullary_blasts_source: str | None = None  # a Condition recording extramedullary blast disease
    # Added for issue #9: the course of the disease.
    transplant_source: str | None = None  # the Procedure behind `allogeneic_transplant`
    transcript_sources: tuple[str, ...] = ()  # the records that name the transcript type
    tfr_goal_source: str | None = None  # the Goal (or text) behind `tfr_goal`
    lines: tuple[TreatmentLine, ...] | None = None  # None until `course.with_lines` derived them
    # Added for issue #23 (pregnancy): at most one record per status, each the latest that says so, and the sex.
    pregnancy: tuple[Pregnancy, ...] = ()
    sex: str | None = None  # Patient.gender: "female", "male", "other", "unknown"; None when not recorded
    # Added for issue #23: the latest measure of each organ function and electrolyte (fhir_mapping/organ.py).
    renal: OrganFunction | None = None  # creatinine clearance, else eGFR
    hepatic: OrganFunction | None = None  # Child-Pugh class
    potassium: OrganFunction | None = None
    magnesium: OrganFunction | None = None

    @cached_property
    def current_line(self) -> TreatmentLine | None:
        """The active line with the latest start (None before `with_lines`, or off treatment)."""
        if self.lines is None:
            return None
        active = [line for line in self.lines if line.active]
        return max(active, key=lambda line: line.start or date.min) if active else None

    @property
    def atypical_transcript(self) -> str | None:
        """The recorded transcript type when none of its parts is e13a2/e14a2 (IS qPCR does not measure it)."""
        if not self.transcript_type:
            return None
        parts = set(self.transcript_type.split("+"))
        return None if parts & TYPICAL_TRANSCRIPTS else self.transcript_type

    @cached_property
    def current_tki(self) -> TkiExposure | None:
        """The active TKI with the latest start, dated from the start of its line; None when on none."""
        if self.lines is not None:
            line = self.current_line
            return line.current if line is not None else None
        active = [e for e in self.tki_exposures if e.active and not e.ordered]
        if not active:
            return None
        return max(active, key=lambda e: e.start or date.min)
