"""The path every service shares: validate the context, resolve the prefetch, build the snapshot.

patient-view and the ordering hooks publish the same prefetch keys and read a missing key from
`fhirServer` the same way; only what they assess and render differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from pydantic import BaseModel, ValidationError

from fhir_mapping import build_snapshot
from fhir_mapping.fhir_client import FhirReadError
from tki_resistance.model import Exclusion, PatientSnapshot

from ..errors import BadRequest, PreconditionFailed
from ..models import HookRequest
from ..prefetch import PrefetchKey, fill_template, unsatisfied_keys
from .base import CallContext

__all__ = [
    "PREFETCH_KEYS",
    "ModelT",
    "Resolved",
    "check_hook",
    "resolve_prefetch",
    "response_extension",
    "snapshot_for",
    "validated_context",
]

ModelT = TypeVar("ModelT", bound=BaseModel)

_P = "{{context.patientId}}"
_LOINC = "http://loinc.org|"

PREFETCH_KEYS: tuple[PrefetchKey, ...] = (
    PrefetchKey("patient", f"Patient/{_P}", True, "the patient"),
    PrefetchKey(
        "bcrAbl1",
        f"Observation?patient={_P}&code="
        + ",".join(
            _LOINC + code
            for code in (
                "69380-4",
                "46434-7",
                "21822-2",
                "21823-0",
                "42714-6",
                "21821-4",
                "69381-2",
                "69382-0",
            )
        )
        + "&_sort=date",
        True,
        "BCR::ABL1 transcript results",
    ),
    PrefetchKey(
        "kinaseDomainVariants",
        f"Observation?patient={_P}&code=" + ",".join(_LOINC + c for c in ("69548-6", "55135-8", "84414-2")),
        True,
        "BCR::ABL1 kinase-domain mutation results",
    ),
    PrefetchKey("medicationStatements", f"MedicationStatement?patient={_P}", True, "medication statements"),
    PrefetchKey("medicationRequests", f"MedicationRequest?patient={_P}", False, "medication orders"),
    PrefetchKey("conditions", f"Condition?patient={_P}", False, "conditions (comorbidities, phase)"),
    PrefetchKey("procedures", f"Procedure?patient={_P}", False, "procedures (transplant history)"),
    PrefetchKey("goals", f"Goal?patient={_P}", False, "goals (treatment-free remission)"),
    PrefetchKey(
        "blasts",
        f"Observation?patient={_P}&code={_LOINC}26446-5&_sort=-date",
        False,
        "blast counts (disease phase)",
    ),
    # No marrow-blast LOINC code was verified (26464-8 is a leukocyte count): marrow blasts and blasts +
    # promyelocytes by the Observation's name (FHIR token :text search, starts-with on text or display).
    PrefetchKey(
        "blastsByName",
        f"Observation?patient={_P}&code:text=blasts,child-pugh&_sort=-date",
        False,
        "marrow blast and blast + promyelocyte counts (disease phase); Child-Pugh class (hepatic doses)",
    ),
    PrefetchKey(
        "bloodCounts",
        f"Observation?patient={_P}&code="
        + ",".join(
            _LOINC + c
            for c in (
                *("706-2", "26515-7", "777-3"),  # basophils, platelets
                *("2164-2", "33914-3", "62238-1", "98979-8"),  # creatinine clearance, eGFR
                *("2823-3", "6298-4", "19123-9", "2601-3"),  # potassium, magnesium
            )
        )
        + "&_sort=-date",
        False,
        "basophils and platelets (disease phase); creatinine clearance, eGFR, potassium and magnesium (label "
        "doses, nilotinib QT warning)",
    ),
    PrefetchKey(
        "karyotype",
        f"Observation?patient={_P}&code:text=karyotype,cytogenetic,chromosome&_sort=-date",
        False,
        "karyotype / cytogenetics (clonal evolution, disease phase)",
    ),
    PrefetchKey(
        "pregnancyStatus",
        f"Observation?patient={_P}&code="
        + ",".join(_LOINC + c for c in ("82810-3", "11778-8", "11779-6", "11780-4", "63895-7"))
        + "&_sort=-date",
        False,
        "pregnancy status, estimated delivery date and breastfeeding status",
    ),
    PrefetchKey(
        "transcriptType",
        f"Observation?patient={_P}&code:text=transcript,BCR-ABL1%20transcript,BCR::ABL1%20transcript&_sort=-date",
        False,
        "BCR::ABL1 transcript type (atypical transcripts)",
    ),
    # A stage group (mCODE's LOINC codes, [M]: fhir_mapping/terminology.py STAGE_GROUP) whose value may be the
    # CML phase, read like a Condition's stage (fhir_mapping/staging.py).
    PrefetchKey(
        "phaseStaging",
        f"Observation?patient={_P}&code={_LOINC}21908-9,{_LOINC}21902-2&_sort=-date",
        False,
        "stage group (recorded CML phase)",
    ),
)


def check_hook(request: HookRequest, service_id: str, hook: str) -> None:
    if request.hook != hook:
        raise BadRequest(f"service {service_id} answers hook '{hook}', not '{request.hook}'")


def validated_context(model: type[ModelT], request: HookRequest) -> ModelT:
    """The hook's context, or 400 naming the first field that does not fit the hook definition."""
    try:
        return model.model_validate(request.context)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadRequest(f"context.{'.'.join(map(str, first['loc']))}: {first['msg']}") from exc


def _read_failure(value: Any) -> str | None:
    """The reason the reader gave for a key it could not read (its OperationOutcome), if any."""
    if not isinstance(value, dict) or value.get("resourceType") != "OperationOutcome":
        return None
    issues = value.get("issue")
    first = issues[0] if isinstance(issues, list) and issues and isinstance(issues[0], dict) else {}
    diagnostics = first.get("diagnostics")
    return diagnostics if isinstance(diagnostics, str) else None


@dataclass(frozen=True)
class Resolved:
    """The prefetch completed from `fhirServer`; the optional data that stayed missing; and why optional
    data read from fhirServer could not be used (a cap, a timeout), as exclusions."""

    prefetch: dict[str, Any]
    unavailable: tuple[str, ...]
    excluded: tuple[Exclusion, ...]


async def resolve_prefetch(
    request: HookRequest, call: CallContext, keys: tuple[PrefetchKey, ...] = PREFETCH_KEYS
) -> Resolved:
    """The prefetch, completed from `fhirServer` where needed; 412 when required data can be had neither way."""
    context = dict(request.context)
    data: dict[str, Any] = dict(request.prefetch or {})
    missing = unsatisfied_keys(keys, data)
    failed: dict[str, str] = {}
    if missing and request.fhirServer and call.fhir_reader is not None:
        token = request.fhirAuthorization.access_token if request.fhirAuthorization else None
        queries = {k.key: fill_template(k.template, context) for k in missing}
        try:
            read = await call.guarded(call.fhir_reader.read(request.fhirServer, token, queries))
        except FhirReadError as exc:
            failed[exc.key] = exc.reason
        else:
            data.update(read)
            failed.update({key: reason for key, value in read.items() if (reason := _read_failure(value))})
        missing = unsatisfied_keys(keys, data)
    required = [k for k in missing if k.required]
    if required:
        how = "could not be read from fhirServer" if request.fhirServer else "no fhirServer to read them from"
        names = ", ".join(k.key for k in required)
        reasons = "; ".join(failed[k.key] for k in required if k.key in failed)
        raise PreconditionFailed(
            f"required prefetch missing, null or failed ({names}) and {how}" + (f": {reasons}" if reasons else "")
        )
    excluded = tuple(Exclusion(f"prefetch {k.key}", failed[k.key]) for k in missing if k.key in failed)
    return Resolved(data, tuple(k.description for k in missing), excluded)


def snapshot_for(patient_id: str, resolved: Resolved, call: CallContext) -> PatientSnapshot:
    """The patient as the algorithm sees them today (synchronous: call inside cyclic_gc_paused, off the
    event loop)."""
    snapshot = build_snapshot(patient_id, resolved.prefetch, call.today(), resolved.unavailable)
    if resolved.excluded:
        snapshot = msgspec.structs.replace(snapshot, exclusions=resolved.excluded + snapshot.exclusions)
    return snapshot


def response_extension(call: CallContext, snapshot: PatientSnapshot) -> dict[str, Any]:
    """`extension["org.cmlcds.response"]`: versions, and every record set aside with its reason."""
    return {
        "org.cmlcds.response": {
            "serviceVersion": call.service_version,
            "knowledgeVersion": call.knowledge.version,
            "excluded": [{"reference": e.reference, "reason": e.reason} for e in snapshot.exclusions],
        }
    }
