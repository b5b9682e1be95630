"""CDS Hooks 2.0 wire models, named as the specification names them.

Request models are lenient where the specification is (unknown fields are ignored: clients add
extensions) and strict where it is not (required fields, enumerations). Response models are what the
service sends; `openapi/` is generated from them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, WithJsonSchema

__all__ = [
    "AcceptedSuggestion",
    "Action",
    "Card",
    "CdsResponse",
    "Coding",
    "DiscoveryResponse",
    "Feedback",
    "FeedbackRequest",
    "FeedbackResponse",
    "FhirAuthorization",
    "HookRequest",
    "Link",
    "OperationOutcome",
    "OverrideReason",
    "PatientViewContext",
    "ServiceDescriptor",
    "Source",
    "Suggestion",
]


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


NonBlank = Annotated[str, AfterValidator(_non_blank)]

#: FHIR R4 `id`: what may go into a URL path segment (`Patient/{id}`); nothing that can climb out of it.
FHIR_ID_PATTERN = r"^[A-Za-z0-9\-\.]{1,64}$"


def _not_a_dot_segment(value: str) -> str:
    if value in (".", ".."):  # the grammar allows them, but in a URL path they mean "here" and "up"
        raise ValueError("must not be '.' or '..'")
    return value


FhirId = Annotated[str, Field(pattern=FHIR_ID_PATTERN), AfterValidator(_not_a_dot_segment)]


def _fhir_base_url(value: str) -> str:
    """An absolute http(s) base URL without userinfo, query or fragment (`http://h/ok#@127.0.0.1:9` is not)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http(s) URL")
    if "@" in parts.netloc or parts.query or parts.fragment or "?" in value or "#" in value:
        raise ValueError("must not carry userinfo, a query or a fragment")
    if any(c.isspace() or ord(c) < 0x20 or c == "\\" for c in value):
        raise ValueError("must not contain whitespace, control characters or backslashes")
    return value


FhirBaseUrl = Annotated[str, AfterValidator(_fhir_base_url)]
#: CDS Hooks: hookInstance is "a universally unique identifier (UUID) for this particular hook call".
UUID_PATTERN = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _no_control(value: str) -> str:
    """Stored text (feedback, audit) holds no control characters: PostgreSQL refuses NUL in text, SQLite stores
    it and every reader of the table then has to cope."""
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters (NUL, U+0001–U+001F, U+007F–U+009F)")
    return value


def _no_control_but_lines(value: str) -> str:
    """Free text may keep tabs and line breaks; no other control character."""
    if _CONTROL_BUT_LINES.search(value):
        raise ValueError("must not contain control characters other than tab and line breaks")
    return value


def printable(value: str, limit: int = 128) -> str:
    """`value` as stored where it is not refused (a path segment in the audit): control characters written as
    `\\xNN` escapes (so the row says they were there), cut to `limit` characters."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)[:limit]


#: Feedback bounds: a card uuid or suggestion id is short; a comment is a sentence or two, not a document.
MAX_ID_LENGTH = 128
MAX_COMMENT_LENGTH = 4000
MAX_FEEDBACK_ITEMS = 100


class WireModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Coding(WireModel):
    """CDS Hooks Coding: `display` is required for override reasons the service offers."""

    system: str | None = None
    code: str
    display: str | None = None


class ServiceDescriptor(WireModel):
    hook: str
    title: str | None = None
    description: str
    id: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None


class DiscoveryResponse(WireModel):
    services: list[ServiceDescriptor]


class FhirAuthorization(WireModel):
    """The access token to the EHR's FHIR server: transient, never logged or stored."""

    access_token: NonBlank = Field(repr=False)
    token_type: Literal["Bearer", "bearer"]
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None


class PatientViewContext(WireModel):
    userId: NonBlank
    patientId: FhirId
    encounterId: FhirId | None = None


class HookRequest(WireModel):
    """A CDS service call. `context` and `prefetch` stay raw JSON here; the service validates them."""

    # The route decodes `prefetch` values from the bytes into fhir_mapping's slim models where they fit
    # (body.decode_hook_request); the documented schema stays raw JSON.

    hook: Annotated[NonBlank, Field(max_length=MAX_ID_LENGTH)]
    hookInstance: Annotated[str, Field(pattern=UUID_PATTERN, description="a UUID (stored in the audit row)")]
    fhirServer: FhirBaseUrl | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, JsonValue]
    prefetch: dict[str, Any] | None = None
    extension: dict[str, JsonValue] | None = None


#: A JSON object the service builds from its own data (card and response extensions, suggested resources):
#: checked as an object only. `JsonValue` walks the tree through a Python callback per node, which was about
#: 60% of rendering a card; the documented schema stays JsonValue's, and what is sent is still serialised
#: as JSON (a value that is not JSON fails at serialisation, as it would have at validation).
OutboundJson = Annotated[
    dict[str, Any],
    WithJsonSchema({"additionalProperties": {"$ref": "#/components/schemas/JsonValue"}, "type": "object"}),
]


class Source(WireModel):
    label: str
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None


class Action(WireModel):
    type: Literal["create", "update", "delete"]
    description: str
    resource: OutboundJson | None = None
    resourceId: str | None = None


class Suggestion(WireModel):
    label: str
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] | None = None


class Link(WireModel):
    label: str
    url: str
    type: Literal["absolute", "smart"]
    appContext: str | None = None
    autolaunchable: bool | None = None
    autoLaunchable: bool | None = Field(
        default=None, description="not CDS Hooks 2.0: healthchain 0.16.1 requires this spelling (docs/conformance.md)"
    )


class Card(WireModel):
    uuid: str | None = None
    summary: str = Field(max_length=139)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = None
    links: list[Link] | None = None
    extension: OutboundJson | None = None


class CdsResponse(WireModel):
    cards: list[Card]
    systemActions: list[Action] | None = None
    extension: OutboundJson | None = None


class AcceptedSuggestion(WireModel):
    id: Annotated[NonBlank, AfterValidator(_no_control), Field(max_length=MAX_ID_LENGTH)]


class FeedbackCoding(Coding):
    system: Annotated[str, AfterValidator(_no_control), Field(max_length=512)] | None = None
    code: Annotated[str, AfterValidator(_no_control), Field(max_length=MAX_ID_LENGTH)]
    display: Annotated[str, AfterValidator(_no_control), Field(max_length=512)] | None = None


class OverrideReason(WireModel):
    reason: FeedbackCoding | None = None
    userComment: Annotated[str, AfterValidator(_no_control_but_lines), Field(max_length=MAX_COMMENT_LENGTH)] | None = (
        None
    )


class Feedback(WireModel):
    card: Annotated[NonBlank, AfterValidator(_no_control), Field(max_length=MAX_ID_LENGTH)]
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: Annotated[list[AcceptedSuggestion], Field(max_length=50)] | None = None
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: Annotated[NonBlank, AfterValidator(_no_control), Field(max_length=64)]


class FeedbackRequest(WireModel):
    feedback: list[Feedback] = Field(min_length=1, max_length=MAX_FEEDBACK_ITEMS)


class OperationOutcomeIssue(WireModel):
    severity: Literal["fatal", "error", "warning", "information"]
    code: str
    diagnostics: str | None = None


class OperationOutcome(WireModel):
    """FHIR R4 OperationOutcome: the body of every error response."""

    resourceType: Literal["OperationOutcome"]
    issue: list[OperationOutcomeIssue] = Field(min_length=1)


class FeedbackResponse(WireModel):
    stored: int = Field(description="feedback items stored by this call")
    duplicates: int = Field(description="items already stored earlier (feedback is idempotent)")
