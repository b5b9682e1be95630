"""The TKIs left to choose from, and those set aside with the reason: one list for every card and hook.

An option is a TKI that no detected mutation excludes, that has not failed for resistance (nor is failing
now on the current line), and that is approved for today's phase (`indications.toml`, from the labels);
each with its dose for that phase and line (the T315I dose where a T315I is on record). The current TKI is
an option while it is not failing: continuing is a choice too.
"""

from __future__ import annotations

import msgspec

from ..knowledge.loader import Knowledge
from ..knowledge.schema import DoseRow, KnowledgeRow
from ..model import TKIS, PatientSnapshot
from .history import TkiRecord
from .mutations import MutationProfile

__all__ = ["Option", "Options", "SetAside", "options_for"]


class Option(msgspec.Struct, frozen=True, gc=False):
    """A TKI that remains, with the dose to give it at (`dose` is the row's wording; "" without a row)."""

    tki: str
    dose: str
    row: DoseRow | None = None
    caution: str = ""  # less active with a detected mutation (a caution row), said beside the option


class SetAside(msgspec.Struct, frozen=True, gc=False):
    """A TKI that is not an option: `kind` mutation / resistance / failing / phase, and the reason in words."""

    tki: str
    kind: str
    reason: str
    rows: tuple[KnowledgeRow, ...] = ()


class Options(msgspec.Struct, frozen=True, gc=False):
    """The options of today's phase (`phase`: chronic / accelerated / blast) and what was set aside."""

    phase: str
    available: tuple[Option, ...]
    set_aside: tuple[SetAside, ...]
    no_tki: str | None = None  # "pregnant" / "breastfeeding": no TKI is an option now (labels)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(option.tki for option in self.available)

    def reasons(self, tki: str) -> tuple[SetAside, ...]:
        """Why `tki` is not an option (empty when it is one)."""
        return tuple(s for s in self.set_aside if s.tki == tki)

    def text(self) -> str:
        """ "dasatinib (140 mg once daily); bosutinib (500 mg once daily)", or "" when none remains."""
        return "; ".join(
            f"{o.tki} ({o.dose}{'; ' + o.caution if o.caution else ''})" if o.dose else o.tki for o in self.available
        )


def _dose(tki: str, profile: MutationProfile, phase: str, line: str, knowledge: Knowledge) -> DoseRow | None:
    if profile.has("T315I") and (row := knowledge.dose_for(tki, "t315i", phase, line)) is not None:
        return row
    return knowledge.dose_for(tki, "standard", phase, line)


def options_for(
    snapshot: PatientSnapshot,
    tkis: TkiRecord,
    profile: MutationProfile,
    phase: str,
    failing: str | None,
    knowledge: Knowledge,
    *,
    no_tki: str | None = None,
) -> Options:
    """The options for a patient in `phase`; `failing` is the current TKI when its line's verdict is failure.
    `no_tki` ("pregnant" / "breastfeeding"): every TKI is set aside — the labels say none is given now."""
    stops = {e.drug: e for e in tkis.resistance_stops}
    taken = {e.drug for e in snapshot.tki_exposures if not e.ordered}
    available: list[Option] = []
    set_aside: list[SetAside] = []
    for tki in TKIS:
        reasons: list[SetAside] = []
        if tki in profile.avoid:
            labels = sorted({label for label, _ in profile.avoid[tki]})
            rows = tuple({row.id: row for _, row in profile.avoid[tki]}.values())
            reasons.append(SetAside(tki, "mutation", f"excluded by {', '.join(labels)}", rows))
        if tki in stops:
            end = stops[tki].end
            when = f" (stopped {end.isoformat()})" if end is not None else ""
            reasons.append(SetAside(tki, "resistance", f"failed for resistance{when}"))
        elif tki == failing:
            reasons.append(SetAside(tki, "failing", "ELN 2020 failure on the current line"))
        approved = knowledge.approved_phases(tki)
        if approved and phase not in approved:
            rows = tuple(r for r in knowledge.indications if r.tki == tki)
            reasons.append(SetAside(tki, "phase", f"not approved in {phase} phase (label)", rows))
        if no_tki is not None:
            reasons.append(SetAside(tki, "pregnancy", f"no TKI while {no_tki} (labels)"))
        if reasons:
            set_aside += reasons
            continue
        line = "first" if taken <= {tki} else "later"
        row = _dose(tki, profile, phase, line, knowledge)
        less = sorted({label for label, _ in profile.cautions.get(tki, [])})
        caution = f"less active with {', '.join(less)}" if less else ""
        available.append(Option(tki, row.text if row is not None else "", row, caution))
    return Options(phase, tuple(available), tuple(set_aside), no_tki)
