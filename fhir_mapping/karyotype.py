"""ISCN karyotype strings and cytogenetics text → normalised additional chromosomal abnormalities.

Output tokens (clinical-reference §5, ELN 2020 high-risk ACAs): "+8", "+Ph", "i(17q)", "+19", "+21",
"-7/7q-", "11q23", "3q26.2", and "complex" when three or more abnormalities besides the Ph are found.
Other abnormalities are kept as their ISCN token (e.g. "-Y") so nothing is hidden from the algorithm.
The Philadelphia translocation t(9;22) itself is not an *additional* abnormality and is not listed.
"""

from __future__ import annotations

import re

__all__ = ["abnormalities", "has_philadelphia", "looks_like_iscn"]

_ISCN_START = re.compile(r"^\s*\d{2,3}(?:~\d{2,3})?<?\d?n?>?,\s*[XY]", re.IGNORECASE)
_PH = re.compile(r"t\(9;22\)|\bph\+|philadelphia|bcr.?abl", re.IGNORECASE)
_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"trisomy 8\b", re.IGNORECASE), "+8"),
    (re.compile(r"trisomy 19\b", re.IGNORECASE), "+19"),
    (re.compile(r"trisomy 21\b", re.IGNORECASE), "+21"),
    (re.compile(r"(double|second|extra|additional) (ph\b|philadelphia)", re.IGNORECASE), "+Ph"),
    (re.compile(r"isochromosome 17q|i\(17q\)", re.IGNORECASE), "i(17q)"),
    (re.compile(r"monosomy 7\b|7q deletion|deletion 7q|del\(7q\)", re.IGNORECASE), "-7/7q-"),
    (re.compile(r"complex karyotype", re.IGNORECASE), "complex"),
)


def looks_like_iscn(text: str) -> bool:
    """A karyotype string: chromosome count then sex chromosomes ("46,XY,t(9;22)(q34;q11.2)")."""
    return bool(_ISCN_START.match(text))


def has_philadelphia(text: str) -> bool:
    return bool(_PH.search(text))


def _token(part: str) -> str | None:
    """One ISCN abnormality → its normalised name; None for the Ph itself, counts and sex chromosomes."""
    part = part.strip().rstrip("]").split("[")[0].strip()
    if not part or re.fullmatch(r"\d{2,3}(~\d{2,3})?|X+Y?|XX|XY|idem|sl|sdl\d*|c", part, re.IGNORECASE):
        return None
    if re.match(r"t\(9;22\)", part, re.IGNORECASE):
        return None
    if re.match(r"\+der\(22\)t\(9;22\)|\+ph|\+22q-", part, re.IGNORECASE):
        return "+Ph"
    if re.match(r"i\(17\)\(q10\)|i\(17q\)|ider\(22\)", part, re.IGNORECASE):
        return "i(17q)" if "17" in part else "+Ph"
    if re.fullmatch(r"-7|del\(7\)\(q.*\)|7q-", part, re.IGNORECASE):
        return "-7/7q-"
    if re.search(r"\(.*11.*\)\(.*q23", part) or re.search(r"\(11\)\(q23", part):
        return "11q23"
    if re.search(r"inv\(3\)\(q21\.?\d?q26|t\(3;3\)\(q21\.?\d?;q26|\(3[;)].*q26", part):
        return "3q26.2"
    return part


def abnormalities(text: str) -> tuple[str, ...]:
    """Normalised additional abnormalities in an ISCN string or cytogenetics text, in order, once each."""
    found: list[str] = []
    if looks_like_iscn(text):
        for part in re.split(r",(?![^()]*\))", text.split("/")[0]):
            token = _token(part)
            if token is not None and token not in found:
                found.append(token)
    for pattern, token in _WORDS:
        if pattern.search(text) and token not in found:
            found.append(token)
    if len([t for t in found if t != "complex"]) >= 3 and "complex" not in found:
        found.append("complex")
    return tuple(found)
