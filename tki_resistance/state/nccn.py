"""The NCCN traffic-light colour beside the ELN class, per NCCN version (colours change between versions)."""

from __future__ import annotations

from ..knowledge.schema import NccnRow

__all__ = ["nccn_bands_for"]


def nccn_bands_for(value: float, months: int, rows: tuple[NccnRow, ...]) -> list[NccnRow]:
    """Every version's band that `value` (percent IS) falls in at the 3-, 6- or 12-month milestone."""
    return [
        row
        for row in rows
        if row.months == months
        and (row.above is None or value > row.above)
        and (row.at_most is None or value <= row.at_most)
    ]
