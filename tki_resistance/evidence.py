"""How data points are shown on a card: one formatting for results, drugs and variants everywhere."""

from __future__ import annotations

from datetime import date

from .findings import Evidence
from .model import Comparator, KinaseDomainTest, OwnScaleResult, TkiExposure, TranscriptResult, Variant

__all__ = [
    "exposure_evidence",
    "format_dose",
    "format_own_scale",
    "format_percent",
    "own_scale_evidence",
    "stop_evidence",
    "transcript_evidence",
    "variant_evidence",
]


def format_percent(result: TranscriptResult) -> str:
    """`0.5% IS`, or `<0.0032% IS` for an undetectable result with its sensitivity limit."""
    prefix = "" if result.comparator is Comparator.EQUAL else result.comparator.value
    return f"{prefix}{result.percent_is:g}% IS"


def format_own_scale(result: OwnScaleResult) -> str:
    """`0.4% e1a2 (own scale)`, `<0.001% e1a2 (own scale)`: a transcript-specific value, never written as IS."""
    prefix = "" if result.comparator is Comparator.EQUAL else result.comparator.value
    value = f"{prefix}{result.percent:g}%" if result.percent > 0 or prefix else "not detected"
    return f"{value} {result.transcript} (own scale)"


def own_scale_evidence(result: OwnScaleResult, label: str) -> Evidence:
    return Evidence(label, format_own_scale(result), result.taken.isoformat(), result.source)


def format_dose(exposure: TkiExposure) -> str:
    """`asciminib 40 mg BID` when the schedule is known, else mg/day, else the drug alone."""
    if exposure.daily_dose_mg is None:
        return exposure.drug + (f" ({exposure.dose_text})" if exposure.dose_text else " (dose not recorded)")
    if exposure.doses_per_day and exposure.doses_per_day > 1:
        per_dose = exposure.daily_dose_mg / exposure.doses_per_day
        return f"{exposure.drug} {per_dose:g} mg ×{exposure.doses_per_day}/day ({exposure.daily_dose_mg:g} mg/day)"
    return f"{exposure.drug} {exposure.daily_dose_mg:g} mg/day"


def transcript_evidence(result: TranscriptResult, label: str = "BCR::ABL1 (IS)") -> Evidence:
    return Evidence(label, format_percent(result), result.taken.isoformat(), result.source)


def exposure_evidence(exposure: TkiExposure, label: str = "Current TKI") -> Evidence:
    when = exposure.start.isoformat() if exposure.start else None
    return Evidence(label, format_dose(exposure), when, exposure.source)


def stop_evidence(exposure: TkiExposure, label: str, line_start: date | None = None) -> Evidence:
    """A stopped TKI dated by its stop, with the start of its line (or record) in the value."""
    since = line_start or exposure.start
    value = format_dose(exposure) + (f", since {since.isoformat()}" if since else "")
    return Evidence(label, value, exposure.end.isoformat() if exposure.end else None, exposure.source)


def variant_evidence(variant: Variant, test: KinaseDomainTest) -> Evidence:
    value = variant.name + (" (compound)" if variant.is_compound else "")
    if variant.allele_fraction is not None:
        value += f", allele fraction {variant.allele_fraction:.0%}"
        if variant.allele_fraction < 0.2:
            value += " (low-level: below Sanger sensitivity)"
    return Evidence("KD mutation", value, test.taken.isoformat(), test.source)
