"""A draft order as the ordering hooks see it: one MedicationRequest not yet signed, in clinicians' words.

Built by `fhir_mapping.draft_orders` from `context.draftOrders`; read by `ordering.py`. The `reference`
("MedicationRequest/<id>") is what every card about the draft names.
"""

from __future__ import annotations

from datetime import date

import msgspec

from ..model import Comedication, TkiExposure

__all__ = ["DraftOrder"]


class DraftOrder(msgspec.Struct, frozen=True, gc=False):
    """A drafted medication: a TKI (`tki` set) or any other drug (checked against the TKI in use)."""

    reference: str
    name: str
    tki: str | None = None
    codes: tuple[str, ...] = ()
    daily_dose_mg: float | None = None
    doses_per_day: int | None = None
    dose_text: str | None = None
    dose_missing: str | None = None  # what was missing when no dose could be read
    dose_problem: str | None = None  # why a stated dose was not used (not finite, ≤ 0, implausibly high)
    stated_mg_per_day: float | None = None  # the value behind `dose_problem`

    @property
    def dose_description(self) -> str | None:
        """The dose text for the cards: the sig text, and what was missing when no dose could be read."""
        if self.daily_dose_mg is not None or self.dose_missing is None:
            return self.dose_text
        missing = f"dose not readable: {self.dose_missing}"
        return f"{self.dose_text}; {missing}" if self.dose_text else missing

    def as_exposure(self, as_of: date) -> TkiExposure:
        """The drafted TKI as an ordered exposure starting today, for the stages that take one."""
        if self.tki is None:
            raise ValueError(f"{self.reference} is not a TKI order")
        return TkiExposure(
            source=self.reference,
            drug=self.tki,
            start=as_of,
            daily_dose_mg=self.daily_dose_mg,
            doses_per_day=self.doses_per_day,
            dose_text=self.dose_description,
            active=True,
            ordered=True,
        )

    def as_comedication(self) -> Comedication:
        return Comedication(source=self.reference, name=self.name, codes=self.codes)
