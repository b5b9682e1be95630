"""The patient the browser test reads from the real FHIR server: a name, two lines, a dose change, a KD mutation."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.builders import bcr_abl1, kd_variant, patient, tki_statement

#: The Patient's names: an old one, then the official one the header must show (birth date from the builder).
NAMES = [
    {"use": "old", "family": "Dupont", "given": ["Claire"]},
    {"use": "official", "family": "Moreau", "given": ["Claire", "Anne"]},
]
PATIENT_NAME = "Claire Anne Moreau"
BIRTH_DATE = "1960-04-02"
IMATINIB_START = date(2024, 1, 10)
NILOTINIB_START = date(2025, 2, 1)

#: (date, value, comparator): what the chart must show, one point each.
RESULTS: tuple[tuple[date, float, str | None], ...] = (
    (date(2024, 1, 5), 60.0, None),
    (date(2024, 4, 10), 25.0, None),
    (date(2024, 7, 10), 12.0, None),
    (date(2024, 10, 10), 8.0, None),
    (date(2025, 1, 10), 5.0, None),
    (date(2025, 5, 5), 0.8, None),
    (date(2025, 8, 5), 0.09, None),
    (date(2025, 11, 5), 0.0032, "<"),
    (date(2026, 5, 5), 0.02, None),
    (date(2026, 10, 1), 0.3, None),
)


def resources() -> list[dict[str, Any]]:
    transcripts = [
        bcr_abl1(taken, value, comparator=comparator, ident=f"sm-t{i}")
        for i, (taken, value, comparator) in enumerate(RESULTS)
    ]
    medications = [
        tki_statement(
            "imatinib",
            IMATINIB_START,
            end=date(2025, 1, 20),
            status="stopped",
            dose_mg=400,
            statusReason=[{"text": "resistance"}],
            ident="sm-ms1",
        ),
        tki_statement(
            "nilotinib",
            NILOTINIB_START,
            end=date(2025, 7, 31),
            status="completed",
            dose_mg=300,
            per_day=2,
            ident="sm-ms2",
        ),
        tki_statement("nilotinib", date(2025, 8, 1), dose_mg=400, per_day=2, ident="sm-ms3"),
    ]
    variants = [
        kd_variant(date(2025, 1, 15), None, ident="sm-kd1"),
        kd_variant(date(2026, 10, 15), "Thr315Ile", vaf=0.3, ident="sm-kd2"),
    ]
    return [{**patient(), "name": NAMES}, *transcripts, *medications, *variants]


LONG_PATIENT = "cml-long"
LONG_RESULTS = 48  # twelve years of quarterly monitoring


def long_course() -> list[dict[str, Any]]:
    """Twelve years on imatinib, a result every quarter: what must still print on one page."""
    start = date(2014, 1, 6)
    values = [max(50.0 / (2.2**i), 0.004) for i in range(LONG_RESULTS)]
    transcripts = [
        bcr_abl1(date(2014 + i // 4, 1 + 3 * (i % 4), 10), value, patient=LONG_PATIENT, ident=f"lc-t{i}")
        for i, value in enumerate(values)
    ]
    return [
        patient(LONG_PATIENT),
        tki_statement("imatinib", start, dose_mg=400, patient=LONG_PATIENT, ident="lc-ms1"),
        *transcripts,
    ]
