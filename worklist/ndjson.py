"""Bulk Data NDJSON files → one record per line: where it is, its type, id and patient.

A Bulk Data export is a set of NDJSON files (FHIR Bulk Data Access IG: one resource per line, UTF-8,
`application/fhir+ndjson`), named by the server (`Observation.ndjson`, `1.Observation.ndjson`,
`Observation_000.ndjson`, …), plain or gzip. The resource type is read from each line, not from the file
name. Each line is decoded once into a slim identity (type, id, subject/patient reference, medication
reference); the full resource is decoded later, in a worker, from its bytes.

A line that is not a JSON object with a `resourceType` is never fatal: it is reported with its file and line
number (`Skipped`) and the file goes on.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import msgspec

from fhir_mapping.snapshot import READ_TYPES as SNAPSHOT_READ_TYPES

__all__ = ["READ_TYPES", "Line", "Skipped", "ndjson_files", "read_lines"]

#: The resource types the mapping reads; other types are counted, not read.
READ_TYPES = SNAPSHOT_READ_TYPES
_SUFFIXES = (".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz")
#: The longest line read (a resource of 64 MiB is not a CML record; a line over it is skipped and reported).
MAX_LINE_BYTES = 64 * 1024 * 1024


class _Ref(msgspec.Struct, gc=False):
    reference: str | None = None


class _Identity(msgspec.Struct, gc=False):
    """What the index needs of a resource; every other field is skipped by the decoder."""

    resourceType: str | None = None
    id: str | int | None = None
    subject: _Ref | None = None
    patient: _Ref | None = None
    medicationReference: _Ref | None = None


_IDENTITY = msgspec.json.Decoder(_Identity)


@dataclass(frozen=True, slots=True)
class Line:
    """One resource line: its file and 1-based line number, byte offset and length in the (decompressed) file,
    its type and id, the patient it is about (None for a Medication, or a resource that names no patient) and the
    Medication it references, if any."""

    file: Path
    number: int
    offset: int
    length: int
    kind: str
    ident: str | None
    patient: str | None
    medication: str | None
    raw: bytes


@dataclass(frozen=True, slots=True)
class Skipped:
    """A line that could not be read, and why (no content from the line: it may hold patient data)."""

    file: Path
    number: int
    reason: str


def ndjson_files(folder: Path) -> list[Path]:
    """The NDJSON files of a folder (not recursive), in name order: `*.ndjson`, `*.jsonl`, gzip or not."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(_SUFFIXES))


def is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def open_binary(path: Path) -> BinaryIO:
    """The file's bytes, inflated when it is gzip (by its magic number, not its name)."""
    if is_gzip(path):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def patient_of(reference: str | None) -> str | None:
    """`Patient/x`, or an absolute URL ending in `/Patient/x` (a version suffix `/_history/n` dropped) → `x`."""
    if not reference:
        return None
    head, _, rest = reference.partition("/_history/")
    del rest
    if head.startswith("Patient/"):
        ident = head[len("Patient/") :]
    elif "/Patient/" in head:
        ident = head.rsplit("/Patient/", 1)[1]
    else:
        return None
    return ident if ident and "/" not in ident else None


def _medication_of(reference: str | None) -> str | None:
    if not reference:
        return None
    if reference.startswith("#"):
        return None  # a contained Medication travels with its resource
    tail = reference.rsplit("/", 2)
    return tail[-1] if len(tail) >= 2 and tail[-2] == "Medication" else None


def read_lines(path: Path) -> Iterator[Line | Skipped]:
    """Every line of one NDJSON file, decoded to its identity; blank lines are passed over silently."""
    with open_binary(path) as handle:
        offset = 0
        number = 0
        while True:
            try:
                raw = handle.readline(MAX_LINE_BYTES + 1)
            except (OSError, EOFError) as exc:  # a truncated or corrupt gzip stream: the rest is unreadable
                yield Skipped(path, number + 1, f"file unreadable from here on ({type(exc).__name__}: {exc})")
                return
            if not raw:
                return
            number += 1
            start, offset = offset, offset + len(raw)
            if len(raw) > MAX_LINE_BYTES:
                yield Skipped(path, number, f"line longer than {MAX_LINE_BYTES} bytes")
                # read on to the end of this line
                while raw and not raw.endswith(b"\n"):
                    raw = handle.readline(MAX_LINE_BYTES)
                    offset += len(raw)
                continue
            body = raw.rstrip(b"\r\n")
            if not body.strip():
                continue
            item = _identity(path, number, start, body)
            yield item


def _identity(path: Path, number: int, offset: int, body: bytes) -> Line | Skipped:
    try:
        identity = _IDENTITY.decode(body)
    except msgspec.ValidationError as exc:
        return Skipped(path, number, f"not a FHIR resource: {exc}")
    except msgspec.DecodeError as exc:
        return Skipped(path, number, f"not JSON: {exc}")
    kind = identity.resourceType
    if not kind:
        return Skipped(path, number, "no resourceType")
    ident = str(identity.id) if identity.id is not None else None
    if kind == "Patient":
        patient = ident
    else:
        patient = patient_of(identity.subject.reference if identity.subject else None) or patient_of(
            identity.patient.reference if identity.patient else None
        )
    medication = _medication_of(identity.medicationReference.reference if identity.medicationReference else None)
    return Line(path, number, offset, len(body), kind, ident, patient, medication, body)
