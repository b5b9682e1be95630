"""Hypothesis strategies for odd-but-plausible FHIR prefetch, so generated requests reach the mapping.

Why: a body generated from the OpenAPI schema alone almost never names `patient-view`, a valid
context and our prefetch keys, so it stops at the 400/412 gate. These strategies keep the envelope valid
and make the FHIR inside hostile: wrong types, missing fields, odd dates, units, comparators, codes.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

__all__ = ["fuzzed_prefetch"]

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
_DATES = st.one_of(
    st.sampled_from(["2026-11-01", "2026-02", "2026", "2026-02-30", "2025-06-01T10:00:00Z", "", "tomorrow"]),
    st.dates().map(lambda d: d.isoformat()),
    _SCALARS,
)
_CODES = st.sampled_from(
    ["69380-4", "46434-7", "69548-6", "55135-8", "48005-3", "48018-6", "81258-6", "21908-9", "278179005", "x"]
)


def _coding() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"code": st.one_of(_CODES, _SCALARS)},
        optional={
            "system": st.sampled_from(["http://loinc.org", "http://varnomen.hgvs.org", "http://snomed.info/sct"]),
            "display": st.text(max_size=10),
        },
    )


def _concept() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.fixed_dictionaries({}, optional={"coding": st.lists(_coding(), max_size=3), "text": st.text(max_size=20)}),
        _SCALARS,
    )


def _quantity() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.fixed_dictionaries(
            {},
            optional={
                "value": _SCALARS,
                "unit": st.sampled_from(["%", "mg", "1", "ratio", ""]),
                "code": st.sampled_from(["%", "mg", "1"]),
                "comparator": st.sampled_from(["<", "<=", ">", ">=", "ad", "~"]),
            },
        ),
        _SCALARS,
    )


def _resource(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"resourceType": st.sampled_from([kind, kind, "Observation", "OperationOutcome"])},
        optional={
            "id": st.one_of(st.text(max_size=8), _SCALARS),
            "status": st.sampled_from(["final", "amended", "entered-in-error", "active", "stopped", "x"]),
            "code": _concept(),
            "subject": st.one_of(st.just({"reference": "Patient/cml-1"}), _SCALARS),
            "effectiveDateTime": _DATES,
            "effectivePeriod": st.fixed_dictionaries({}, optional={"start": _DATES, "end": _DATES}),
            "valueQuantity": _quantity(),
            "valueCodeableConcept": _concept(),
            "component": st.lists(
                st.fixed_dictionaries(
                    {"code": _concept()}, optional={"valueCodeableConcept": _concept(), "valueQuantity": _quantity()}
                ),
                max_size=3,
            ),
            "medicationCodeableConcept": st.one_of(
                st.sampled_from(["imatinib", "dasatinib", "nilotinib", "asciminib", "aspirin"]).map(
                    lambda t: {"text": t}
                ),
                _concept(),
            ),
            "dosage": st.lists(
                st.fixed_dictionaries(
                    {}, optional={"doseAndRate": st.lists(st.fixed_dictionaries({"doseQuantity": _quantity()}))}
                ),
                max_size=2,
            ),
            "clinicalStatus": _concept(),
            "onsetDateTime": _DATES,
        },
    )


def _bundle(kind: str) -> st.SearchStrategy[Any]:
    """Mostly a searchset of `kind` resources; sometimes entry-less, or entries that are not objects."""
    entry = st.one_of(st.fixed_dictionaries({"resource": _resource(kind)}), st.fixed_dictionaries({}), _SCALARS)
    return st.one_of(
        st.fixed_dictionaries(
            {"resourceType": st.just("Bundle"), "type": st.just("searchset"), "entry": st.lists(entry, max_size=6)}
        ),
        st.fixed_dictionaries({"resourceType": st.just("Bundle")}, optional={"entry": _SCALARS}),
    )


def fuzzed_prefetch() -> st.SearchStrategy[dict[str, Any]]:
    """Our prefetch keys, each present with hostile content (or absent, or null)."""
    required = {
        "patient": st.fixed_dictionaries(
            {"resourceType": st.just("Patient"), "id": st.just("cml-1")}, optional={"birthDate": _DATES}
        ),
        "bcrAbl1": _bundle("Observation"),
        "kinaseDomainVariants": _bundle("Observation"),
        "medicationStatements": _bundle("MedicationStatement"),
    }
    optional = {
        "medicationRequests": st.one_of(_bundle("MedicationRequest"), _SCALARS),
        "conditions": st.one_of(_bundle("Condition"), _SCALARS),
        "procedures": st.one_of(_bundle("Procedure"), _SCALARS),
        "goals": st.one_of(_bundle("Goal"), _SCALARS),
        "phaseStaging": st.one_of(_bundle("Observation"), _SCALARS),
    }
    return st.fixed_dictionaries(required, optional=optional)
