"""`cml-tki-resistance` on `patient-view`: request → mapping → model → algorithm → findings → cards."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from anyio import to_thread
from pydantic import ValidationError

from fhir_mapping import build_snapshot
from fhir_mapping.fhir_client import FhirReadError
from tki_resistance import assess
from tki_resistance.model import Exclusion

from ..cards import render_cards
from ..errors import BadRequest, PreconditionFailed
from ..gc_pause import cyclic_gc_paused
from ..models import Card, CdsResponse, HookRequest, PatientViewContext, ServiceDescriptor
from ..prefetch import PrefetchKey, fill_template, unsatisfied_keys
from .base import CallContext, CdsService

__all__ = ["CML_TKI_RESISTANCE", "PREFETCH_KEYS", "response"]

HOOK = "patient-view"
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
        f"Observation?patient={_P}&code:text=blasts&_sort=-date",
        False,
        "marrow blast and blast + promyelocyte counts (disease phase)",
    ),
    PrefetchKey(
        "bloodCounts",
        f"Observation?patient={_P}&code="
        + ",".join(_LOINC + c for c in ("706-2", "26515-7", "777-3"))
        + "&_sort=-date",
        False,
        "basophils and platelets (disease phase)",
    ),
    PrefetchKey(
        "karyotype",
        f"Observation?patient={_P}&code:text=karyotype,cytogenetic,chromosome&_sort=-date",
        False,
        "karyotype / cytogenetics (clonal evolution, disease phase)",
    ),
    PrefetchKey(
        "transcriptType",
        f"Observation?patient={_P}&code:text=transcript,BCR-ABL1%20transcript,BCR::ABL1%20transcript&_sort=-date",
        False,
        "BCR::ABL1 transcript type (atypical transcripts)",
    ),
)

DESCRIPTOR = ServiceDescriptor(
    hook=HOOK,
    id="cml-tki-resistance",
    title="CML: TKI response and resistance",
    description=(
        "Assesses the response of chronic myeloid leukaemia to the current tyrosine kinase inhibitor by the "
        "ELN 2020 milestones, and flags mutation testing, TKIs to avoid, extrinsic causes and transplant "
        "referral (Soverini & Castagnetti, Blood 2026)."
    ),
    prefetch={key.key: key.template for key in PREFETCH_KEYS},
    usageRequirements=(
        "BCR::ABL1 results on the International Scale (LOINC 69380-4, %), kinase-domain variants (Genomics "
        "Reporting IG) and MedicationStatements, by prefetch or by fhirServer with fhirAuthorization."
    ),
)


def _read_failure(value: Any) -> str | None:
    """The reason the reader gave for a key it could not read (its OperationOutcome), if any."""
    if not isinstance(value, dict) or value.get("resourceType") != "OperationOutcome":
        return None
    issues = value.get("issue")
    first = issues[0] if isinstance(issues, list) and issues and isinstance(issues[0], dict) else {}
    diagnostics = first.get("diagnostics")
    return diagnostics if isinstance(diagnostics, str) else None


async def _resolve(
    request: HookRequest, context: dict[str, Any], call: CallContext
) -> tuple[dict[str, Any], tuple[str, ...], tuple[Exclusion, ...]]:
    """The prefetch, completed from `fhirServer` where needed; the optional data that stayed missing; and
    why optional data read from fhirServer could not be used (a cap, a timeout), as exclusions."""
    data: dict[str, Any] = dict(request.prefetch or {})
    missing = unsatisfied_keys(PREFETCH_KEYS, data)
    failed: dict[str, str] = {}
    if missing and request.fhirServer and call.fhir_reader is not None:
        token = request.fhirAuthorization.access_token if request.fhirAuthorization else None
        queries = {k.key: fill_template(k.template, context) for k in missing}
        try:
            read = await call.fhir_reader.read(request.fhirServer, token, queries)
        except FhirReadError as exc:
            failed[exc.key] = exc.reason
        else:
            data.update(read)
            failed.update({key: reason for key, value in read.items() if (reason := _read_failure(value))})
        missing = unsatisfied_keys(PREFETCH_KEYS, data)
    required = [k for k in missing if k.required]
    if required:
        how = "could not be read from fhirServer" if request.fhirServer else "no fhirServer to read them from"
        names = ", ".join(k.key for k in required)
        reasons = "; ".join(failed[k.key] for k in required if k.key in failed)
        raise PreconditionFailed(
            f"required prefetch missing, null or failed ({names}) and {how}" + (f": {reasons}" if reasons else "")
        )
    excluded = tuple(Exclusion(f"prefetch {k.key}", failed[k.key]) for k in missing if k.key in failed)
    return data, tuple(k.description for k in missing), excluded


def _answer(
    request: HookRequest,
    context: PatientViewContext,
    prefetch: dict[str, Any],
    unavailable: tuple[str, ...],
    excluded: tuple[Exclusion, ...],
    call_context: CallContext,
) -> CdsResponse:
    """The synchronous part of a call (mapping, algorithm, cards), run in a worker thread."""
    with cyclic_gc_paused():
        snapshot = build_snapshot(context.patientId, prefetch, call_context.today(), unavailable)
        if excluded:
            snapshot = replace(snapshot, exclusions=excluded + snapshot.exclusions)
        findings = assess(snapshot, call_context.knowledge)
        cards = render_cards(findings, context.patientId, request.hookInstance)
        return response(cards, snapshot.exclusions, call_context)


def response(cards: list[Card], exclusions: tuple[Exclusion, ...], call_context: CallContext) -> CdsResponse:
    """The cards with the response extension: versions, and every record the mapping could not use."""
    return CdsResponse(
        cards=cards,
        extension={
            "org.cmlcds.response": {
                "serviceVersion": call_context.service_version,
                "knowledgeVersion": call_context.knowledge.version,
                "excluded": [{"reference": e.reference, "reason": e.reason} for e in exclusions],
            }
        },
    )


async def call(request: HookRequest, call_context: CallContext) -> CdsResponse:
    if request.hook != HOOK:
        raise BadRequest(f"service cml-tki-resistance answers hook '{HOOK}', not '{request.hook}'")
    try:
        context = PatientViewContext.model_validate(request.context)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadRequest(f"context.{'.'.join(map(str, first['loc']))}: {first['msg']}") from exc

    prefetch, unavailable, excluded = await _resolve(request, dict(request.context), call_context)
    # off the event loop: mapping a large patient must not make other callers wait
    return await to_thread.run_sync(_answer, request, context, prefetch, unavailable, excluded, call_context)


CML_TKI_RESISTANCE = CdsService(descriptor=DESCRIPTOR, prefetch_keys=PREFETCH_KEYS, call=call)
