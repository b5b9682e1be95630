"""Protein changes in any HGVS or lab spelling → the one-letter form the contract uses (`T315I`).

Accepted: `NP_005148.2:p.(Thr315Ile)`, `p.Thr315Ile`, `p.T315I`, `T315I`, and free text listing several
("E255K, F359V", "T315I detected"). Only single amino-acid substitutions are recognised; anything else
is returned as None so the caller can report it instead of guessing.
"""

from __future__ import annotations

import re

__all__ = ["find_protein_changes", "one_letter"]

_THREE_TO_ONE = {
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E", "Gly": "G",
    "His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F", "Pro": "P", "Ser": "S",
    "Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V",
}  # fmt: skip
_AA3 = "|".join(_THREE_TO_ONE)
_AA1 = "ACDEFGHIKLMNPQRSTVWY"
_THREE = re.compile(rf"(?<![A-Za-z])({_AA3})(\d{{1,4}})({_AA3})(?![a-z])")
_ONE = re.compile(rf"(?<![A-Za-z0-9])([{_AA1}])(\d{{1,4}})([{_AA1}])(?![A-Za-z0-9])")


def one_letter(hgvs: str) -> str | None:
    """The single substitution in one HGVS p. expression or token, one-letter, or None."""
    changes = find_protein_changes(hgvs)
    return changes[0] if len(changes) == 1 else None


def find_protein_changes(text: str) -> list[str]:
    """Every substitution named in `text`, one-letter, in the order written, without duplicates."""
    body = re.sub(r"[A-Z]{2}_\d+(\.\d+)?:", " ", text)  # drop reference-sequence prefixes
    body = body.replace("p.(", " ").replace("p.", " ").replace("(", " ").replace(")", " ")
    found: list[tuple[int, str]] = []
    for match in _THREE.finditer(body):
        found.append((match.start(), _THREE_TO_ONE[match.group(1)] + match.group(2) + _THREE_TO_ONE[match.group(3)]))
    for match in _ONE.finditer(body):
        found.append((match.start(), match.group(1) + match.group(2) + match.group(3)))
    result: list[str] = []
    for _, change in sorted(found):
        if change not in result:
            result.append(change)
    return result
