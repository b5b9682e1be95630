"""Each Observation sorted once by what it is, so that every mapper reads only its own.

What an Observation is depends on its code alone (the CodeableConcept: its codings and its text), and each
mapper's own rule says it; those rules are the only statement of it, imported here:

* `molecular.on_scale`: a BCR::ABL1 result on the International Scale, or off it;
* `kinase_domain.kinase_domain_code`: a variant, mutation analysis or haplotype;
* `context.count_kind`: blasts, basophils, platelets by LOINC code, and blasts (or blasts + promyelocytes)
  by name, whatever else the code says;
* `organ.organ_kind`: creatinine clearance, eGFR, potassium, magnesium by LOINC code, and Child-Pugh by name
  when there is no LOINC code at all;
* `pregnancy.pregnancy_question`: a listed question (pregnancy or breastfeeding status, delivery date);
* `staging.stage_group`: a cancer stage group (LOINC 21908-9, 21902-2), which may record the CML phase.

The rules are asked once per distinct code in a request (a patient's thousand BCR::ABL1 results share one),
so each Observation costs one look-up of its code instead of six scans of its codings and names. An
Observation may be of several kinds (a BCR::ABL1 result named "blasts in bone marrow" is also a blast count,
as it always was); each list keeps the record's order, so every mapper reads its Observations, and logs the
ones it cannot use, in the order it did when it scanned them all. Statuses are the mappers' business: no
Observation is left out here for its status.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tki_resistance.knowledge.schema import PregnancyCodeRow

from .context import count_kind
from .kinase_domain import kinase_domain_code
from .molecular import on_scale
from .organ import organ_kind
from .pregnancy import pregnancy_question
from .resources import CodeableConcept, Observation
from .staging import stage_group

__all__ = ["ObservationKinds", "sort_observations"]


@dataclass(frozen=True, slots=True)
class _Kinds:
    """What every Observation with one code is, by each mapper's rule."""

    on_scale: bool | None
    kinase_domain: bool
    count: str | None
    organ: str | None
    pregnancy: PregnancyCodeRow | None
    staging: bool


def _kinds(code: CodeableConcept) -> _Kinds:
    return _Kinds(
        on_scale(code),
        kinase_domain_code(code),
        count_kind(code),
        organ_kind(code),
        pregnancy_question(code),
        stage_group(code),
    )


@dataclass(slots=True)
class ObservationKinds:
    """The Observations of a request by kind, each list in record order."""

    #: BCR::ABL1 results, with whether they are on the International Scale (molecular.py)
    bcr_abl1: list[tuple[Observation, bool]] = field(default_factory=list)
    #: kinase-domain mutation results (kinase_domain.py)
    kinase_domain: list[Observation] = field(default_factory=list)
    #: blast, basophil and platelet counts, with which count (context.py)
    counts: list[tuple[Observation, str]] = field(default_factory=list)
    #: every Observation that is not a count: any may name the transcript or carry a karyotype (context.py)
    not_counts: list[Observation] = field(default_factory=list)
    #: renal and hepatic function, potassium, magnesium, with what each measures (organ.py)
    organ: list[tuple[Observation, str]] = field(default_factory=list)
    #: answers to a listed pregnancy or breastfeeding question, with the question (pregnancy.py)
    pregnancy: list[tuple[Observation, PregnancyCodeRow]] = field(default_factory=list)
    #: cancer stage groups, which may record the CML phase (staging.py)
    staging: list[Observation] = field(default_factory=list)


def sort_observations(observations: list[Observation]) -> ObservationKinds:
    """Every Observation into the list of each kind it is (none, one or several), in record order."""
    sorted_ = ObservationKinds()
    known: dict[CodeableConcept, _Kinds] = {}
    for observation in observations:
        kinds = known.get(observation.code)
        if kinds is None:
            kinds = known[observation.code] = _kinds(observation.code)
        if kinds.on_scale is not None:
            sorted_.bcr_abl1.append((observation, kinds.on_scale))
        if kinds.kinase_domain:
            sorted_.kinase_domain.append(observation)
        if kinds.count is None:
            sorted_.not_counts.append(observation)
        else:
            sorted_.counts.append((observation, kinds.count))
        if kinds.organ is not None:
            sorted_.organ.append((observation, kinds.organ))
        if kinds.pregnancy is not None:
            sorted_.pregnancy.append((observation, kinds.pregnancy))
        if kinds.staging:
            sorted_.staging.append(observation)
    return sorted_
