"""Generated hostile draft orders inside valid ordering requests: 200 or 400, never 5xx."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds_hooks.models import CdsResponse
from tests.builders import TODAY, kd_variant
from tests.order_builders import URLS, order_request

_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=6), st.lists(st.integers(), max_size=2)
)
_CONCEPT = st.one_of(
    st.sampled_from(["asciminib 40 mg", "dasatinib", "Sprycel", "omeprazole", "clarithromycin", ""]).map(
        lambda t: {"text": t}
    ),
    st.fixed_dictionaries(
        {},
        optional={
            "coding": st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "system": st.sampled_from(
                            ["http://www.nlm.nih.gov/research/umls/rxnorm", "http://www.whocc.no/atc", "x"]
                        ),
                        "code": st.one_of(st.sampled_from(["475342", "L01EA06", "7646", "21212"]), _SCALARS),
                    },
                ),
                max_size=2,
            ),
            "text": _SCALARS,
        },
    ),
    _SCALARS,
)
_DOSAGE = st.fixed_dictionaries(
    {},
    optional={
        "text": st.one_of(st.sampled_from(["40 mg BID", "200 mg twice daily", "45 mg", "mg daily"]), _SCALARS),
        "timing": st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "repeat": st.fixed_dictionaries({}, optional={"frequency": _SCALARS, "periodUnit": _SCALARS}),
                    "code": _CONCEPT,
                },
            ),
            _SCALARS,
        ),
        "doseAndRate": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "doseQuantity": st.fixed_dictionaries(
                            {}, optional={"value": _SCALARS, "unit": st.sampled_from(["mg", "g", "mL"])}
                        )
                    },
                ),
                max_size=2,
            ),
            _SCALARS,
        ),
    },
)
_MEDICATION = st.fixed_dictionaries(
    {"resourceType": st.just("Medication")}, optional={"id": st.one_of(st.just("m"), _SCALARS), "code": _CONCEPT}
)
_DRAFT = st.fixed_dictionaries(
    {"resourceType": st.sampled_from(["MedicationRequest", "MedicationRequest", "ServiceRequest", "Medication"])},
    optional={
        "id": st.one_of(st.sampled_from(["a", "b"]), _SCALARS),
        "status": st.one_of(st.just("draft"), _SCALARS),
        "intent": st.one_of(st.just("order"), _SCALARS),
        "subject": st.one_of(
            st.just({"reference": "Patient/cml-1"}), st.just({"reference": "Patient/other"}), _SCALARS
        ),
        "medicationCodeableConcept": _CONCEPT,
        "medicationReference": st.one_of(
            st.sampled_from([{"reference": "#m"}, {"reference": "Medication/m"}, {"display": "ponatinib"}]), _SCALARS
        ),
        "contained": st.one_of(st.lists(st.one_of(_MEDICATION, _SCALARS), max_size=2), _SCALARS),
        "dosageInstruction": st.one_of(st.lists(_DOSAGE, max_size=2), _SCALARS),
    },
)


@settings(max_examples=150, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(
    hook=st.sampled_from(["order-select", "order-sign"]), drafts=st.lists(st.one_of(_DRAFT, _MEDICATION), max_size=4)
)
def test_hostile_drafts_never_5xx(client: TestClient, hook: str, drafts: list[dict[str, Any]]) -> None:
    request = order_request(hook, [], others=drafts, variants=[kd_variant(TODAY, "Thr315Ile")])
    if hook == "order-select":
        ids = [f"{d.get('resourceType')}/{d.get('id')}" for d in drafts if isinstance(d.get("id"), str)]
        request["context"]["selections"] = ids[:1] or ["MedicationRequest/none"]
    response = client.post(URLS[hook], json=request)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        CdsResponse.model_validate(response.json())
