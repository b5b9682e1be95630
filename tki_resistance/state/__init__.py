"""The clinical state: what every stage of a call reads, derived once from the snapshot and the knowledge.

`clinical.py` builds it; the other modules are its parts: the reconciled result series, the treatment lines
and history, the phase, the mutation profile, the milestones and the one ELN verdict of the current line,
the options, a label dose step, and a relapse off treatment.
"""

from .clinical import ClinicalState, build_state

__all__ = ["ClinicalState", "build_state"]
