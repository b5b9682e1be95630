"""Property (issue #10): arbitrary JSON in any prefetch slot or context field gets a documented answer.

Documented answers of a hook call: 200, 400, 412, 413, 415 — never a 5xx. The example count is modest so
CI stays fast; the strategies are biased towards what broke before (huge and non-finite numbers, booleans,
nulls, wrong shapes, traversal ids).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds_hooks.services.cml_tki_resistance import PREFETCH_KEYS
from tests.builders import TODAY, bcr_abl1, hook_request, tki_statement

URL = "/cds-services/cml-tki-resistance"
DOCUMENTED = {200, 400, 412, 413, 415}

_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.sampled_from([0, -0.0, 1e308, 1e-320, True, False]),
)
_STRINGS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["9999-12-31", "1850-01-01", "0000-00-00", "../../admin", "%", "<0", "Patient/cml-1"]),
)
_LEAVES = st.one_of(st.none(), st.booleans(), _NUMBERS, _STRINGS)
JSON = st.recursive(
    _LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(["resourceType", "entry", "resource", "value", "id", "x"]), children, max_size=4
        ),
    ),
    max_leaves=12,
)
# resources that look almost right: a real BCR::ABL1 result with one field replaced by arbitrary JSON
_FIELDS = ["valueQuantity", "effectiveDateTime", "code", "subject", "status", "component", "id", "valueString"]


@st.composite
def _mutated_result(draw: st.DrawFn) -> dict[str, Any]:
    resource = bcr_abl1(TODAY, 1.0)
    field = draw(st.sampled_from(_FIELDS))
    if field == "valueQuantity":
        resource["valueQuantity"] = {"value": draw(JSON), "unit": "%", "code": "%", "comparator": draw(JSON)}
    else:
        resource[field] = draw(JSON)
    return resource


def _dumps(body: dict[str, Any]) -> str:
    return json.dumps(body, allow_nan=True)  # NaN / Infinity as a broken EHR would send them


def _base() -> dict[str, Any]:
    return hook_request(medications=[tki_statement("imatinib", TODAY)])


def _post(client: TestClient, body: dict[str, Any]) -> int:
    # starlette's TestClient is typed against httpx2 (not installed), so mypy sees its methods as Any
    response: httpx.Response = client.post(URL, content=_dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code in DOCUMENTED, (response.status_code, response.text[:300])
    if response.status_code != 200:
        assert response.json()["resourceType"] == "OperationOutcome"
    return response.status_code


_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(key=st.sampled_from([k.key for k in PREFETCH_KEYS]), value=JSON)
def test_any_json_in_any_prefetch_slot(client: TestClient, key: str, value: Any) -> None:
    body = _base()
    body["prefetch"][key] = value
    _post(client, body)


@_SETTINGS
@given(key=st.sampled_from([k.key for k in PREFETCH_KEYS]), entries=st.lists(JSON, max_size=5))
def test_any_json_as_bundle_entries(client: TestClient, key: str, entries: list[Any]) -> None:
    body = _base()
    body["prefetch"][key] = {"resourceType": "Bundle", "entry": entries}
    _post(client, body)


@_SETTINGS
@given(result=_mutated_result())
def test_an_almost_valid_result_with_one_arbitrary_field(client: TestClient, result: dict[str, Any]) -> None:
    body = _base()
    body["prefetch"]["bcrAbl1"] = {"resourceType": "Bundle", "entry": [{"resource": result}]}
    _post(client, body)


@_SETTINGS
@given(field=st.sampled_from(["patientId", "userId", "encounterId", "other"]), value=JSON)
def test_any_json_in_any_context_field(client: TestClient, field: str, value: Any) -> None:
    body = _base()
    body["context"][field] = value
    _post(client, body)


@_SETTINGS
@given(
    field=st.sampled_from(["context", "prefetch", "fhirServer", "fhirAuthorization", "hook", "hookInstance"]),
    value=JSON,
)
def test_any_json_in_any_top_level_field(client: TestClient, field: str, value: Any) -> None:
    body = _base()
    body[field] = value
    _post(client, body)
