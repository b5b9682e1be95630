"""BCR::ABL1 results (International Scale) → `TranscriptResult`.

Units under LOINC 69380-4 (clinical-reference.md §13): UCUM `%` (or `%{IS}`) is percent. `1`, `{ratio}`
or no unit is ambiguous: a reference range whose upper bound is above 1, or a unit text saying `%`,
makes it percent; otherwise the result is excluded and reported. A factor of 100 is never guessed.

Non-IS BCR::ABL1 codes (46434-7, 21822-2, …) never give an IS value. A quantitative one that names an
atypical transcript (e1a2, e19a2, e13a3, …; p190 = e1a2, p230 = e19a2) in its code, method or note is a
transcript-specific assay's result and becomes an `OwnScaleResult` on that transcript's own scale (percent of
the control transcript, the same unit rules; never mixed with IS values). Any other non-IS result is excluded
with a reason the card shows. Several results on one day are all kept: choosing between them is the
algorithm's job (a repeat on the same day is a clinical fact, not a duplicate), and only an identical
`Type/id` is treated as a duplicate (snapshot.py).

Undetectable results (a "not detected" answer, interpretation ND, or 0 / `<x` values) become
`detected=False`; the ABL1 or GUSB control-copy number from an Observation.component is carried into
`control_gene` / `control_copies` so the algorithm can score MR4 / MR4.5 / MR5 by the EUTOS rules.
"""

from __future__ import annotations

import math
import re
from datetime import date
from operator import attrgetter

from tki_resistance.model import DETECTION_LIMIT, TYPICAL_TRANSCRIPTS, Comparator, OwnScaleResult, TranscriptResult

from .context import join_transcripts, transcript_names
from .dates import parse_day
from .exclusions import ExclusionLog
from .resources import CodeableConcept, Observation, ObservationComponent, Quantity
from .terminology import BCR_ABL1_ANY, BCR_ABL1_IS, BCR_ABL1_NOT_A_RATIO, LOINC, SNOMED

__all__ = [
    "control_copies",
    "implausible_value",
    "is_undetected",
    "map_transcript_results",
    "map_transcripts",
    "on_scale",
    "own_scale_transcript",
]

#: Above this no BCR::ABL1 IS value is a measurement: untreated CML at diagnosis is around 10–200% IS and
#: rarely above a few hundred; 1000% (ten times the IS baseline) leaves room for every real result.
MAX_PERCENT_IS = 1000.0
#: Below this a positive value is not a measurement either: the most sensitive assays reach MR5–MR5.5
#: (0.001–0.0003% IS); 0.000001% would be MR8.
MIN_POSITIVE_PERCENT_IS = 1e-6
#: Control-gene copies per reaction: 10^4–10^6 in practice (EUTOS); beyond 10^9 a number is not a count.
MAX_CONTROL_COPIES = 10**9
USABLE_STATUSES = frozenset({"final", "amended", "corrected", "preliminary"})
_AMBIGUOUS_UNITS = frozenset({"1", "{ratio}", "ratio", ""})
_PERCENT_CODE = re.compile(r"^%(\{[^}]*\})?$")
_VALUE_STRING = re.compile(
    r"^\s*(<=|<|≤)?\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(%)?\s*(?:\(?\s*IS\s*\)?)?\s*$", re.IGNORECASE
)
#: LOINC answers and SNOMED CT qualifiers meaning "not detected".
_NOT_DETECTED_CODES = frozenset({"LA11883-8", "LA9634-2", "LA6577-6", "260415000", "260385009"})
_NOT_DETECTED_WORDS = ("not detected", "undetectable", "undetected", "negative", "absent", "not detectable")
_NOT_DETECTED_INTERPRETATION = frozenset({"ND", "NEG"})
_TAKEN = attrgetter("taken")  # a C key: the results are sorted once per call
_COPY_COUNT = re.compile(r"^\s*([0-9][0-9,\s]*)\s*(copies)?\s*$", re.IGNORECASE)


def on_scale(concept: CodeableConcept) -> bool | None:
    """True for a BCR::ABL1 result on the International Scale (an IS code among its codings, wherever it
    stands), False for one off it, None for anything else: both questions in one look at the codings."""
    found = None
    for coding in concept.coding:
        if coding.system == LOINC:
            if coding.code in BCR_ABL1_IS:
                return True
            if coding.code in BCR_ABL1_ANY:
                found = False
    return found


def map_transcripts(
    observations: list[Observation], log: ExclusionLog
) -> tuple[list[TranscriptResult], list[OwnScaleResult]]:
    """Every BCR::ABL1 result among the Observations mapped (see `map_transcript_results`); other Observations
    are not looked at."""
    found = [(o, scale) for o in observations if (scale := on_scale(o.code)) is not None]
    return map_transcript_results(found, log)


def map_transcript_results(
    found: list[tuple[Observation, bool]], log: ExclusionLog
) -> tuple[list[TranscriptResult], list[OwnScaleResult]]:
    """The BCR::ABL1 results, each with `on_scale` of its code (snapshot.py sorts the Observations once:
    observation_kinds.py), mapped in date order (stable: same-day results keep their order): the IS results,
    and the atypical transcripts' own-scale results; the unusable ones logged, in the order given."""
    results: list[TranscriptResult] = []
    own_scale: list[OwnScaleResult] = []
    for observation, scale in found:
        if not scale:
            if (own := _map_own_scale(observation, log)) is not None:
                own_scale.append(own)
            continue
        if (result := _map_is_result(observation, log)) is not None:
            results.append(result)
    results.sort(key=_TAKEN)
    own_scale.sort(key=_TAKEN)
    return results, own_scale


def own_scale_transcript(observation: Observation) -> str | None:
    """The atypical transcript a non-IS BCR::ABL1 result names in its code, method or note; None when it names
    none, or names a typical one (e13a2/e14a2 are measured on the IS: a non-IS value for them is not used)."""
    texts = [observation.code.words()]
    if observation.method is not None:
        texts.append(observation.method.words())
    texts += [note.text or "" for note in observation.note]
    names = transcript_names(" ".join(texts))
    if not names or names & TYPICAL_TRANSCRIPTS:
        return None
    return join_transcripts(names)


def _map_own_scale(observation: Observation, log: ExclusionLog) -> OwnScaleResult | None:
    """A non-IS result: an `OwnScaleResult` when it is a transcript-specific quantity naming an atypical
    transcript; else None, with the reason logged."""
    if any(c.system == LOINC and c.code in BCR_ABL1_NOT_A_RATIO for c in observation.code.coding):
        log.exclude(observation, "BCR::ABL1 FISH cell count, not a transcript ratio: not used for molecular response")
        return None
    transcript = own_scale_transcript(observation)
    if transcript is None:
        log.exclude(
            observation,
            "BCR::ABL1 result not on the International Scale and naming no atypical transcript: not used",
        )
        return None
    read = _reading(observation, log, "%")
    if read is None:
        return None
    taken, value, comparator, undetected, preliminary = read
    gene, _ = control_copies(observation) if observation.component else (None, None)
    return OwnScaleResult(
        source=f"Observation/{observation.id}",
        taken=taken,
        transcript=transcript,
        percent=value,
        comparator=comparator,
        detected=not undetected and comparator not in DETECTION_LIMIT and value > 0,
        control_gene=gene,
        preliminary=preliminary,
    )


def _effective_day(observation: Observation) -> str | None:
    if observation.effectiveDateTime:
        return observation.effectiveDateTime
    if observation.effectivePeriod is not None and observation.effectivePeriod.start:
        return observation.effectivePeriod.start
    return observation.issued


def _unit_is_percent(quantity: Quantity, observation: Observation) -> bool | None:
    """True for percent, None when the unit cannot be interpreted."""
    if quantity.code == "%":  # UCUM percent: nearly every result, decided before any string is built
        return True
    code = (quantity.code or "").strip()
    unit = (quantity.unit or "").strip()
    if code == "%" or _PERCENT_CODE.match(code) or (not code and unit.startswith("%")):
        return True
    if code in _AMBIGUOUS_UNITS and (unit in _AMBIGUOUS_UNITS or unit.startswith("%")):
        if unit.startswith("%"):
            return True
        highs = [r.high.value for r in observation.referenceRange if r.high is not None and r.high.value is not None]
        return True if any(high > 1 for high in highs) else None
    return None


#: Quantity.comparator → Comparator; `>` and `>=` are not usable for milestones (None). A dict: read once
#: per result, where each Enum member access cost more than the look-up.
_COMPARATORS: dict[str | None, Comparator] = {
    None: Comparator.EQUAL,
    "": Comparator.EQUAL,
    "<": Comparator.LESS_THAN,
    "<=": Comparator.AT_MOST,
    "≤": Comparator.AT_MOST,
}


def _says_not_detected(concept: CodeableConcept | None) -> bool:
    if concept is None:
        return False
    if any(c.code in _NOT_DETECTED_CODES for c in concept.coding if c.system in (LOINC, SNOMED)):
        return True
    return any(word in concept.words() for word in _NOT_DETECTED_WORDS)


def is_undetected(observation: Observation) -> bool:
    """The laboratory says BCR::ABL1 was not detected (answer code, text, or interpretation ND/NEG)."""
    if _says_not_detected(observation.valueCodeableConcept):
        return True
    if observation.valueString is not None and any(
        word in observation.valueString.lower() for word in _NOT_DETECTED_WORDS
    ):
        return True
    if not observation.interpretation:  # most results carry none: skip the generator's set-up
        return False
    return any(c.code in _NOT_DETECTED_INTERPRETATION for i in observation.interpretation for c in i.coding)


def _component_gene(component: ObservationComponent) -> str | None:
    """ABL1 or GUSB when the component is a control-gene copy count (a local code or text)."""
    words = " ".join([component.code.words(), *(c.code or "" for c in component.code.coding)]).lower()
    if "bcr" in words:  # BCR::ABL1 copies are the numerator, not the control
        return None
    if "gusb" in words:
        return "GUSB"
    if "abl" in words and ("cop" in words or "control" in words):
        return "ABL1"
    return None


def _copies(component: ObservationComponent) -> int | None:
    if component.valueInteger is not None:
        return component.valueInteger
    if component.valueQuantity is not None and component.valueQuantity.value is not None:
        return round(component.valueQuantity.value)
    if component.valueString is not None and (match := _COPY_COUNT.match(component.valueString)):
        digits = re.sub(r"[,\s]", "", match.group(1))
        return int(digits) if len(digits) <= 12 else None  # int() of 4,300+ digits raises
    return None


def control_copies(observation: Observation) -> tuple[str | None, int | None]:
    """(gene, copies) of the control transcript reported with the result; (None, None) if absent."""
    for component in observation.component:
        gene = _component_gene(component)
        copies = _copies(component) if gene is not None else None
        if copies is not None and 0 <= copies <= MAX_CONTROL_COPIES:
            return gene, copies
    return None, None


def _value(observation: Observation, log: ExclusionLog, unit: str = "% IS") -> tuple[float, Comparator] | None:
    """(percent, comparator) from valueQuantity or valueString; None (logged) when not usable. `unit` names
    the scale in the reasons: `% IS`, or `%` for a transcript's own scale."""
    quantity = observation.valueQuantity
    if quantity is not None and quantity.value is not None:
        comparator = _COMPARATORS.get(quantity.comparator)
        if comparator is None:
            log.exclude(observation, f"comparator '{quantity.comparator}' not usable for milestones")
            return None
        if quantity.value == 0:
            return 0.0, comparator  # zero needs no unit: 0% and ratio 0 are the same
        if _unit_is_percent(quantity, observation) is None:
            named = quantity.code or quantity.unit or "none"
            log.exclude(observation, f"unit '{named}' not interpretable as {unit} (no factor of 100 is guessed)")
            return None
        return quantity.value, comparator
    if observation.valueString is not None:
        match = _VALUE_STRING.match(observation.valueString)
        if match is None or match.group(3) != "%":
            scale = "on the International Scale" if unit == "% IS" else "of the control transcript"
            log.exclude(observation, f"value text is not a percentage {scale}")
            return None
        return float(match.group(2)), _COMPARATORS.get(match.group(1)) or Comparator.EQUAL
    log.exclude(observation, "no numeric BCR::ABL1 value")
    return None


def implausible_value(value: float, comparator: Comparator, unit: str = "% IS") -> str | None:
    """Why a BCR::ABL1 value (`unit`: % IS, or % on a transcript's own scale) cannot be a result (non-finite,
    negative, out of range), or None."""
    if not math.isfinite(value):
        return "BCR::ABL1 value is not a finite number"
    if value < 0:
        return "negative BCR::ABL1 value"
    if value > MAX_PERCENT_IS:
        return f"BCR::ABL1 value {value:g}% is above {MAX_PERCENT_IS:g}{unit}: not a plausible result"
    if value == 0 and comparator in DETECTION_LIMIT:
        return "'<0' or '≤0' is not a detection limit: not a usable result"
    if 0 < value < MIN_POSITIVE_PERCENT_IS:
        return f"BCR::ABL1 value {value:g}% is below {MIN_POSITIVE_PERCENT_IS:g}{unit}: beyond any assay's sensitivity"
    return None


def _reading(
    observation: Observation, log: ExclusionLog, unit: str
) -> tuple[date, float, Comparator, bool, bool] | None:
    """(day, value, comparator, undetected, preliminary) of a BCR::ABL1 result in percent (`unit` names the
    scale); None with the reason logged."""
    status = observation.status or "unknown"
    if status not in USABLE_STATUSES:
        log.exclude(observation, f"status '{status}': not a usable result")
        return None
    taken = parse_day(observation.effectiveDateTime or _effective_day(observation))
    if taken is None:
        log.exclude(observation, "no full collection date (effectiveDateTime/effectivePeriod/issued)")
        return None
    if observation.dataAbsentReason is not None:
        log.exclude(observation, "no value (dataAbsentReason)")
        return None

    # a plain quantity (no answer code, text or interpretation: nearly every result) cannot say "not detected"
    plain = observation.valueCodeableConcept is None and observation.valueString is None
    undetected = False if plain and not observation.interpretation else is_undetected(observation)
    has_value = (observation.valueQuantity is not None and observation.valueQuantity.value is not None) or (
        observation.valueString is not None and _VALUE_STRING.match(observation.valueString) is not None
    )
    if undetected and not has_value:
        value, comparator = 0.0, Comparator.EQUAL  # "not detected" without a stated sensitivity
    else:
        read = _value(observation, log, unit)
        if read is None:
            return None
        value, comparator = read
    if undetected and value == 0:
        comparator = Comparator.EQUAL  # the laboratory says "not detected"; `<0` adds no detection limit
    in_range = MIN_POSITIVE_PERCENT_IS <= value <= MAX_PERCENT_IS  # every usual result; NaN is not
    if not in_range and (problem := implausible_value(value, comparator, unit)) is not None:
        log.exclude(observation, problem)
        return None
    return taken, value, comparator, undetected, status == "preliminary"


def _map_is_result(observation: Observation, log: ExclusionLog) -> TranscriptResult | None:
    """A result whose code is BCR::ABL1 on the IS, in percent; None with the reason logged."""
    read = _reading(observation, log, "% IS")
    if read is None:
        return None
    taken, value, comparator, undetected, preliminary = read
    gene, copies = control_copies(observation) if observation.component else (None, None)
    return TranscriptResult(
        f"Observation/{observation.id}",
        taken,
        value,
        comparator,
        not undetected and comparator not in DETECTION_LIMIT and value > 0,  # detected
        gene,
        copies,
        preliminary,
    )
