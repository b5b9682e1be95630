"""Structured JSON logs that carry no credentials and no patient data, by construction and by filter.

By construction: the service logs a patient only as a pseudonym (HMAC-SHA256 of the id with a
per-deployment secret: stable within a deployment for correlating calls, useless outside it) and never
logs a request body, a header, a JWT or an access token. By filter (defence in depth, for third-party
messages and mistakes): every record is scrubbed of bearer tokens, JWT-shaped strings, `access_token`
values and FHIR patient references before it is written.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

import msgspec

__all__ = ["JsonFormatter", "RedactingFilter", "install_json_logging", "pseudonym", "redact"]

REDACTED = "[redacted]"
_PATTERNS = [
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"(?i)(\"?access_token\"?\s*[:=]\s*\"?)[^\"&\s,}]+"), r"\1" + REDACTED),
    (re.compile(r"(?i)(\"?authorization\"?\s*[:=]\s*\"?)[^\"&\n,}]+"), r"\1" + REDACTED),
    (re.compile(r"(?i)\b(patient|subject)=[^&\s\"']+"), r"\1=" + REDACTED),
    (re.compile(r"\bPatient/[A-Za-z0-9.-]+"), "Patient/" + REDACTED),
    # a SMART launch and its redirect carry iss/launch and code/state in the query: a path is logged without it
    (re.compile(r"(/smart/[^\s?\"']*)\?[^\s\"']*"), r"\1?" + REDACTED),
]
# LogRecord attributes that are not `extra` fields.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


#: Each pattern above needs one of these in the text (lower-cased; "eyJ" as written): an ASCII text without any
#: of them is returned as it is, without six regular-expression passes (most lines, e.g. every hook call's).
#: Other text always takes the passes: case-insensitive matching pairs letters such as "ı" and "i" that
#: lower-casing does not.
_MARKERS = ("bearer", "access_token", "authorization", "patient=", "subject=", "patient/", "/smart/")


def redact(text: str) -> str:
    if text.isascii() and "eyJ" not in text:
        lowered = text.lower()
        if not any(marker in lowered for marker in _MARKERS):
            return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def pseudonym(patient_id: str, secret: bytes) -> str:
    """A stable, non-reversible stand-in for a patient id (HMAC-SHA256, 128 bits, hex)."""
    return hmac.new(secret, patient_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


class RedactingFilter(logging.Filter):
    """Rewrites the message and string `extra` fields of every record it sees; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for name, value in list(vars(record).items()):
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, redact(value))
        return True


#: A value JSON has no type for is written as its str() (as `json.dumps(default=str)` did, at a tenth of the cost:
#: every hook call writes one line).
_ENCODER = msgspec.json.Encoder(enc_hook=str)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and every `extra` field; redacted again."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(_ENCODER.encode(entry).decode())


def install_json_logging(level: str | int = "INFO", stream: TextIO | None = None) -> logging.Handler:
    """Send every log record (the service's, uvicorn's, httpx's) through one redacting JSON handler."""
    # The lines carry no source file, line, thread or process: do not look them up for every record (the
    # logging HOWTO's "Optimization" section names these switches).
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL at INFO; FHIR query strings name the patient.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # No access log, whoever configures logging last: the hook line (audit) says what a call did, and an
    # access line would carry query strings (`/smart/callback?code=…&state=…`). uvicorn writes access lines
    # whenever "uvicorn.access" has a handler on its way to the root, so it must not propagate — a worker
    # process builds its app (and calls this) after uvicorn set up its loggers.
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
    return handler
