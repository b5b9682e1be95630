"""How every card words the clinical state's options: one wording, so no two cards list them differently."""

from __future__ import annotations

from typing import Any

from ..state.options import Options

__all__ = ["option_lines", "options_extra"]


def option_lines(options: Options, *, set_aside: bool = True) -> list[str]:
    """ "Remaining options (doses for chronic phase): …; allo-SCT; clinical trial." and, with `set_aside`, what
    is not an option and why."""
    phase = f"{options.phase} phase"
    if options.no_tki is not None:
        lines = [f"No TKI while {options.no_tki} (labels): the pregnancy card says what to do instead."]
    elif options.available:
        lines = [f"Remaining options (doses for {phase}): {options.text()}; allo-SCT; clinical trial."]
    else:
        lines = [f"No TKI remains in {phase}: allo-SCT evaluation; clinical trial."]
    if set_aside and options.set_aside:
        reasons: dict[str, list[str]] = {}
        for item in options.set_aside:
            reasons.setdefault(item.tki, []).append(item.reason)
        lines.append("Not options: " + "; ".join(f"{tki} ({', '.join(why)})" for tki, why in reasons.items()) + ".")
    return lines


def options_extra(options: Options) -> dict[str, Any]:
    """The machine-readable list for a card's extension: the options and what was set aside, with why."""
    return {
        "options": list(options.names),
        "setAside": [{"tki": s.tki, "kind": s.kind, "reason": s.reason} for s in options.set_aside],
    }
