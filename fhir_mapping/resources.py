"""Slim FHIR R4 models: only the fields the service reads, everything else ignored.

Validating a whole prefetch with fhir.resources costs ~0.6 ms per Observation; pydantic models of these
fields ~25 µs; these msgspec Structs ~2 µs, decoded straight from the request bytes (decode.py) and still
rejecting wrong types. A resource msgspec's strict types refuse is read by pydantic's lax rules instead
(lax.py), so what is accepted, and the error an excluded resource reports, did not change. They are
read-only views, never written back.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, ClassVar

import msgspec

__all__ = [
    "Bundle",
    "BundleEntry",
    "CodeableConcept",
    "Coding",
    "Condition",
    "Dosage",
    "FhirModel",
    "FhirResource",
    "Medication",
    "MedicationRequest",
    "MedicationStatement",
    "Observation",
    "ObservationComponent",
    "Patient",
    "Period",
    "Procedure",
    "Quantity",
    "Range",
    "Ratio",
    "Reference",
]


#: A JSON number as FHIR means it: never `true` read as 1, never NaN or ±Infinity (`1e400` overflows to it).
#: A resource carrying one does not validate and is excluded with the reason (snapshot.py). msgspec's strict
#: float refuses `true`, the bounds refuse ±Infinity; lax.py words the reason with pydantic's strict float.
Number = Annotated[float, msgspec.Meta(ge=-sys.float_info.max, le=sys.float_info.max)]
#: A JSON integer: never `true`, never 2.0 or "2" (msgspec's strict int; pydantic's strict int in lax.py).
Integer = Annotated[int, msgspec.Meta(description="FHIR integer")]


class FhirModel(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Unknown fields are ignored (msgspec's default), as FHIR servers send many the service never reads.

    `gc=False` and tuples (not lists) for repeated elements: decoded JSON holds no reference cycles, so the
    cyclic collector need not track these objects. Tracked, every collection after a paused call walked all
    of them again (bench/: 5.7 → 1.0 ms of collector time per call at 1,000 results).
    """


class FhirResource(FhirModel, frozen=True, kw_only=True, tag_field="resourceType"):
    """A resource: its `resourceType` is the msgspec tag, and a class attribute for `describe`."""

    resourceType: ClassVar[str]


class Coding(FhirModel, frozen=True, kw_only=True):
    system: str | None = None
    code: str | None = None
    display: str | None = None


class CodeableConcept(FhirModel, frozen=True, kw_only=True):
    coding: tuple[Coding, ...] = ()
    text: str | None = None

    def has(self, system: str, codes: frozenset[str] | set[str]) -> bool:
        # a plain loop, not any(): called for every resource on every code check, where a generator's
        # set-up cost more than the comparison (bench/: −12% mapping time at 60 results)
        for coding in self.coding:  # noqa: SIM110
            if coding.code in codes and coding.system == system:
                return True
        return False

    def codes(self, system: str) -> list[str]:
        return [c.code for c in self.coding if c.system == system and c.code]

    def words(self) -> str:
        """All human-readable text in the concept, lowercased, for name matching."""
        parts = [self.text or ""] + [c.display or "" for c in self.coding]
        return " ".join(parts).lower()


class Quantity(FhirModel, frozen=True, kw_only=True):
    value: Number | None = None
    comparator: str | None = None
    unit: str | None = None
    system: str | None = None
    code: str | None = None


class Range(FhirModel, frozen=True, kw_only=True):
    low: Quantity | None = None
    high: Quantity | None = None
    text: str | None = None


class Period(FhirModel, frozen=True, kw_only=True):
    start: str | None = None
    end: str | None = None


class Reference(FhirModel, frozen=True, kw_only=True):
    reference: str | None = None
    display: str | None = None


class ObservationComponent(FhirModel, frozen=True, kw_only=True):
    code: CodeableConcept
    valueQuantity: Quantity | None = None
    valueCodeableConcept: CodeableConcept | None = None
    valueString: str | None = None
    valueInteger: Integer | None = None
    dataAbsentReason: CodeableConcept | None = None


class Annotation(FhirModel, frozen=True, kw_only=True):
    text: str | None = None


class ReferenceRange(FhirModel, frozen=True, kw_only=True):
    low: Quantity | None = None
    high: Quantity | None = None
    text: str | None = None


class Observation(FhirResource, frozen=True, kw_only=True, tag="Observation"):
    resourceType: ClassVar[str] = "Observation"
    id: str | None = None
    status: str | None = None
    category: tuple[CodeableConcept, ...] = ()
    code: CodeableConcept
    subject: Reference | None = None
    effectiveDateTime: str | None = None
    effectivePeriod: Period | None = None
    issued: str | None = None
    valueQuantity: Quantity | None = None
    valueCodeableConcept: CodeableConcept | None = None
    valueString: str | None = None
    valueInteger: Integer | None = None
    valueBoolean: bool | None = None
    valueDateTime: str | None = None  # an estimated delivery date (pregnancy.py)
    dataAbsentReason: CodeableConcept | None = None
    interpretation: tuple[CodeableConcept, ...] = ()
    referenceRange: tuple[ReferenceRange, ...] = ()
    method: CodeableConcept | None = None
    component: tuple[ObservationComponent, ...] = ()
    hasMember: tuple[Reference, ...] = ()
    derivedFrom: tuple[Reference, ...] = ()
    note: tuple[Annotation, ...] = ()


class Repeat(FhirModel, frozen=True, kw_only=True):
    boundsPeriod: Period | None = None
    frequency: Integer | None = None
    period: Number | None = None
    periodUnit: str | None = None
    when: tuple[str, ...] = ()
    timeOfDay: tuple[str, ...] = ()


class Timing(FhirModel, frozen=True, kw_only=True):
    repeat: Repeat | None = None
    code: CodeableConcept | None = None


class DoseAndRate(FhirModel, frozen=True, kw_only=True):
    doseQuantity: Quantity | None = None
    doseRange: Range | None = None


class Dosage(FhirModel, frozen=True, kw_only=True):
    text: str | None = None
    patientInstruction: str | None = None
    timing: Timing | None = None
    doseAndRate: tuple[DoseAndRate, ...] = ()


class Ratio(FhirModel, frozen=True, kw_only=True):
    numerator: Quantity | None = None
    denominator: Quantity | None = None


class Ingredient(FhirModel, frozen=True, kw_only=True):
    itemCodeableConcept: CodeableConcept | None = None
    itemReference: Reference | None = None
    strength: Ratio | None = None  # mg per unit (tablet, capsule): the strength a count of units is read with


class Medication(FhirResource, frozen=True, kw_only=True, tag="Medication"):
    resourceType: ClassVar[str] = "Medication"
    id: str | None = None
    code: CodeableConcept | None = None
    ingredient: tuple[Ingredient, ...] = ()


class MedicationStatement(FhirResource, frozen=True, kw_only=True, tag="MedicationStatement"):
    resourceType: ClassVar[str] = "MedicationStatement"
    id: str | None = None
    status: str | None = None
    statusReason: tuple[CodeableConcept, ...] = ()
    medicationCodeableConcept: CodeableConcept | None = None
    medicationReference: Reference | None = None
    subject: Reference | None = None
    effectiveDateTime: str | None = None
    effectivePeriod: Period | None = None
    dateAsserted: str | None = None
    reasonCode: tuple[CodeableConcept, ...] = ()
    dosage: tuple[Dosage, ...] = ()
    contained: list[dict[str, Any]] = []


class DispenseRequest(FhirModel, frozen=True, kw_only=True):
    validityPeriod: Period | None = None


class MedicationRequest(FhirResource, frozen=True, kw_only=True, tag="MedicationRequest"):
    resourceType: ClassVar[str] = "MedicationRequest"
    id: str | None = None
    status: str | None = None
    intent: str | None = None
    statusReason: CodeableConcept | None = None
    medicationCodeableConcept: CodeableConcept | None = None
    medicationReference: Reference | None = None
    subject: Reference | None = None
    authoredOn: str | None = None
    dosageInstruction: tuple[Dosage, ...] = ()
    dispenseRequest: DispenseRequest | None = None
    contained: list[dict[str, Any]] = []


class ConditionStage(FhirModel, frozen=True, kw_only=True):
    summary: CodeableConcept | None = None
    type: CodeableConcept | None = None


class Condition(FhirResource, frozen=True, kw_only=True, tag="Condition"):
    resourceType: ClassVar[str] = "Condition"
    id: str | None = None
    clinicalStatus: CodeableConcept | None = None
    verificationStatus: CodeableConcept | None = None
    code: CodeableConcept | None = None
    subject: Reference | None = None
    onsetDateTime: str | None = None
    onsetPeriod: Period | None = None
    recordedDate: str | None = None
    stage: tuple[ConditionStage, ...] = ()
    note: tuple[Annotation, ...] = ()


class Procedure(FhirResource, frozen=True, kw_only=True, tag="Procedure"):
    resourceType: ClassVar[str] = "Procedure"
    id: str | None = None
    status: str | None = None
    code: CodeableConcept | None = None
    subject: Reference | None = None
    performedDateTime: str | None = None
    performedPeriod: Period | None = None
    performedString: str | None = None


class Patient(FhirResource, frozen=True, kw_only=True, tag="Patient"):
    resourceType: ClassVar[str] = "Patient"
    id: str | None = None
    birthDate: str | None = None
    gender: str | None = None


class BundleEntry(FhirModel, frozen=True, kw_only=True):
    resource: dict[str, Any] | None = None
    fullUrl: str | None = None


class BundleLink(FhirModel, frozen=True, kw_only=True):
    relation: str
    url: str


class Bundle(FhirResource, frozen=True, kw_only=True, tag="Bundle"):
    resourceType: ClassVar[str] = "Bundle"
    entry: tuple[BundleEntry, ...] = ()
    link: tuple[BundleLink, ...] = ()
