"""Molecular response level of one result (MR1 … MR5), with EUTOS scoring of undetectable samples."""

from __future__ import annotations

from ..knowledge.schema import ResponseLevelRow
from ..model import DETECTION_LIMIT, TranscriptResult

__all__ = ["DEEP_LEVELS", "is_at_least", "molecular_level"]

_ORDER = ("MR1", "MR2", "MMR", "MR4", "MR4.5", "MR5")
DEEP_LEVELS = frozenset({"MR4", "MR4.5", "MR5"})


def _undetectable(result: TranscriptResult) -> bool:
    return not result.detected or result.comparator in DETECTION_LIMIT or result.percent_is == 0


def molecular_level(result: TranscriptResult, rows: tuple[ResponseLevelRow, ...]) -> ResponseLevelRow | None:
    """The deepest level `result` shows, or None (above MR1, or an undetectable sample not scorable).

    An undetectable sample with a known control-gene copy number is scored by the EUTOS minimum copies
    and its sensitivity limit; with too few copies it cannot be a deep response (at most MMR). Without
    copy numbers, the reported limit ("<0.0032%") is used as the value.
    """
    detectable_rows = [r for r in rows if r.control_gene is None]
    if _undetectable(result) and result.control_gene and result.control_copies is not None:
        gene = result.control_gene.upper()
        scored = [
            r
            for r in rows
            if r.control_gene == gene
            and r.min_control_copies is not None
            and result.control_copies >= r.min_control_copies
            and (result.percent_is == 0 or result.percent_is <= r.at_most)
        ]
        if scored:
            return max(scored, key=lambda r: _ORDER.index(r.level))
        detectable_rows = [r for r in detectable_rows if r.level not in DEEP_LEVELS]
    if result.percent_is == 0 and result.comparator not in DETECTION_LIMIT:
        return None  # "0" with no limit and no copies: depth unknown
    reached = [r for r in detectable_rows if result.percent_is <= r.at_most]
    return max(reached, key=lambda r: _ORDER.index(r.level)) if reached else None


def is_at_least(level: ResponseLevelRow | None, wanted: str) -> bool:
    return level is not None and _ORDER.index(level.level) >= _ORDER.index(wanted)
