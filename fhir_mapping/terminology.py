"""Codes the mapping recognises: LOINC for BCR::ABL1 and context, and the TKI table from `terminology.toml`.

The TKI and stop-reason tables live in `terminology.toml` (one row per drug, with its source) so a
pharmacist can review them without reading Python. Sources: clinical-reference.md §10 and §14.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

__all__ = [
    "ATC",
    "BCR_ABL1_ANY",
    "BCR_ABL1_IS",
    "BCR_ABL1_NON_IS",
    "BCR_ABL1_NOT_A_RATIO",
    "BLAST_PERCENT",
    "HGNC_ABL1",
    "HGNC_BCR",
    "ICD10",
    "INTOLERANCE_SNOMED",
    "INTOLERANCE_WORDS",
    "LOINC",
    "RESISTANCE_WORDS",
    "RXNORM",
    "SNOMED",
    "STAGE_GROUP",
    "TFR_WORDS",
    "TKI_BY_ATC",
    "TKI_BY_RXNORM",
    "TKI_INGREDIENT_RXNORM",
    "TKI_NAMES",
    "UCUM",
]

LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
ICD10 = frozenset({"http://hl7.org/fhir/sid/icd-10-cm", "http://hl7.org/fhir/sid/icd-10", "http://www.cms.gov/icd10cm"})

#: BCR::ABL1 b2a2+b3a2 transcript / control transcript on the International Scale.
BCR_ABL1_IS = frozenset({"69380-4"})
#: BCR::ABL1 codes that are not International Scale values: recognised, excluded from milestone logic.
BCR_ABL1_NON_IS = frozenset({"46434-7", "21822-2", "21823-0", "42714-6", "21821-4", "21795-0", "69381-2", "69382-0"})
#: 21795-0 "t(9;22)(q34.1;q11)(ABL1,BCR) cells/Cells.total … by Molecular genetics method" (LOINC name as listed
#: in the TWNHI gene-test-code value set): a percentage of cells, never a transcript ratio on any scale.
#: (46434-7 is "… fusion transcript/control transcript [# Ratio]": the non-IS ratio of a transcript-specific assay.)
BCR_ABL1_NOT_A_RATIO = frozenset({"21795-0"})
#: Every BCR::ABL1 quantification code, IS or not (built once: checked for every Observation).
BCR_ABL1_ANY = BCR_ABL1_IS | BCR_ABL1_NON_IS

#: Blast percentage. 26446-5 "Blasts/100 leukocytes in Blood" (several public LOINC tables). Not 26464-8:
#: that is "Leukocytes [#/volume] in Blood" (public FHIR value sets, e.g. ReMeDi-Blut/remedi_ig; issue #9).
#: No marrow-blast LOINC code could be verified, so marrow blasts are read from the Observation's name.
BLAST_PERCENT: dict[str, str] = {
    "26446-5": "Blasts/100 leukocytes in Blood",
}
#: Basophils in % of leukocytes (ELN accelerated-phase criterion ≥20%): 706-2 "Basophils/100 leukocytes in
#: Blood by Automated count" (public FHIR value sets and examples, e.g. nmdp-ig/cibmtr-reporting-ig).
BASOPHIL_PERCENT = frozenset({"706-2"})
#: Platelet count: 26515-7 "Platelets [#/volume] in Blood", 777-3 "… by Automated count" (same sources).
PLATELET_COUNT = frozenset({"26515-7", "777-3"})
#: Units of a platelet count that equal 10^9/L.
PLATELET_UNITS = frozenset({"10*9/L", "10^9/L", "10*3/uL", "10^3/uL", "10*3/mm3", "K/uL", "x10E3/uL", "G/L"})

#: A cancer stage group, the code of an Observation that may record the CML phase (staging.py): 21908-9 "Stage
#: group.clinical Cancer", 21902-2 "Stage group.pathology Cancer" — how mCODE codes a stage group (its value set
#: mcode-tnm-stage-group-staging-type-max-vs, mCODE 4.0.0, lists both with these names). [M]: not in
#: clinical-reference §10/§14 and not checked against LOINC itself; verify before deployment.
STAGE_GROUP: dict[str, str] = {
    "21908-9": "Stage group.clinical Cancer",
    "21902-2": "Stage group.pathology Cancer",
}

HGNC_ABL1 = frozenset({"HGNC:76", "76"})
HGNC_BCR = frozenset({"HGNC:1014", "1014"})


def _load() -> dict[str, Any]:
    with (Path(__file__).with_name("terminology.toml")).open("rb") as handle:
        return tomllib.load(handle)


_TABLE = _load()

TKI_BY_RXNORM: dict[str, str] = {
    code: row["drug"] for row in _TABLE["tki"] for code in [row["rxnorm_ingredient"], *row["rxnorm_products"]]
}
TKI_BY_ATC: dict[str, str] = {row["atc"]: row["drug"] for row in _TABLE["tki"]}
#: The RxNorm ingredient of each TKI (lowercase INN → RxCUI), for orders the service writes.
TKI_INGREDIENT_RXNORM: dict[str, str] = {row["drug"]: row["rxnorm_ingredient"] for row in _TABLE["tki"]}
#: Generic and brand names, lowercase, as they appear in free text.
TKI_NAMES: dict[str, str] = {name: row["drug"] for row in _TABLE["tki"] for name in row["names"]}

INTOLERANCE_SNOMED: frozenset[str] = frozenset(_TABLE["stop_reason"]["intolerance_snomed"])
INTOLERANCE_WORDS: tuple[str, ...] = tuple(_TABLE["stop_reason"]["intolerance_words"])
RESISTANCE_WORDS: tuple[str, ...] = tuple(_TABLE["stop_reason"]["resistance_words"])
TFR_WORDS: tuple[str, ...] = tuple(_TABLE["stop_reason"]["tfr_words"])
