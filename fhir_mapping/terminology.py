"""Codes the mapping recognises: LOINC for BCR::ABL1, RxNorm/ATC/brand names for the six TKIs.

Sources: clinical-reference.md §10 and §14 (RxNorm ingredient codes verified from RxNav-derived tables;
product codes from openFDA NDC records).
"""

from __future__ import annotations

__all__ = [
    "ATC",
    "BCR_ABL1_IS",
    "BCR_ABL1_NON_IS",
    "LOINC",
    "RXNORM",
    "TKI_BY_ATC",
    "TKI_BY_RXNORM",
    "TKI_NAMES",
]

LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"

#: BCR::ABL1 b2a2+b3a2 transcript / control transcript on the International Scale.
BCR_ABL1_IS = frozenset({"69380-4"})
#: BCR::ABL1 codes that are not International Scale values: recognised, excluded from milestone logic.
BCR_ABL1_NON_IS = frozenset({"46434-7", "21822-2", "21823-0", "42714-6", "21821-4", "21795-0", "69381-2", "69382-0"})

TKI_BY_RXNORM: dict[str, str] = {
    # ingredients
    "282388": "imatinib",
    "475342": "dasatinib",
    "662281": "nilotinib",
    "1307619": "bosutinib",
    "1364347": "ponatinib",
    "2584304": "asciminib",
    # products (SCD)
    "403878": "imatinib",
    "403879": "imatinib",
    **dict.fromkeys(("643105", "643107", "643109", "799047", "1045402", "1045406"), "dasatinib"),
    **dict.fromkeys(("746606", "997653", "2002717"), "nilotinib"),
    **dict.fromkeys(("1307624", "1307633", "1987732", "1987734"), "bosutinib"),
    **dict.fromkeys(
        ("1364352", "1364358", "1364360", "1364362", "1726637", "1726639", "2473040", "2473042"), "ponatinib"
    ),
}

TKI_BY_ATC: dict[str, str] = {
    "L01EA01": "imatinib",
    "L01EA02": "dasatinib",
    "L01EA03": "nilotinib",
    "L01EA04": "bosutinib",
    "L01EA05": "ponatinib",
    "L01EA06": "asciminib",
}

#: Generic and brand names, lowercase, as they appear in free text.
TKI_NAMES: dict[str, str] = {
    "imatinib": "imatinib",
    "gleevec": "imatinib",
    "glivec": "imatinib",
    "dasatinib": "dasatinib",
    "sprycel": "dasatinib",
    "nilotinib": "nilotinib",
    "tasigna": "nilotinib",
    "bosutinib": "bosutinib",
    "bosulif": "bosutinib",
    "ponatinib": "ponatinib",
    "iclusig": "ponatinib",
    "asciminib": "asciminib",
    "scemblix": "asciminib",
}
