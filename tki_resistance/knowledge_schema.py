"""Row schemas for the knowledge tables: one pydantic model per table, one row per fact.

Every row names its `source` (a key of `sources.toml`) and says whether the fact was `verified` against
that source. Adding a table means adding a model here and registering it in `TABLES`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["TABLES", "KnowledgeRow", "MilestoneRow", "SourceRow"]

Tki = Literal["imatinib", "dasatinib", "nilotinib", "bosutinib", "ponatinib", "asciminib"]


class KnowledgeRow(BaseModel):
    """Fields every fact carries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-_]*$", description="stable rule id")
    source: str = Field(description="key of sources.toml")
    verified: bool = Field(description="checked against the source (false: from memory, unverified)")
    note: str = ""


class SourceRow(BaseModel):
    """A citable source: guideline, review, label or seed document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    citation: str
    guideline: str = Field(description="how a card names it, e.g. 'ELN 2020', 'NCCN 2025', 'label'")
    url: str = ""


class MilestoneRow(KnowledgeRow):
    """A response band at a milestone: BCR::ABL1 IS percent in (above, at_most] is `response`.

    `months` 0 means "any time" (after the 12-month milestone). Bounds follow ELN 2020: optimal uses
    "≤", warning and failure use ">".
    """

    guideline: str
    months: Literal[0, 3, 6, 12]
    response: Literal["optimal", "warning", "failure"]
    above: float | None = Field(default=None, ge=0, description="exclusive lower bound, percent IS")
    at_most: float | None = Field(default=None, ge=0, description="inclusive upper bound, percent IS")
    requires_confirmation: bool = False


#: table name (file stem) → (TOML array name, row model)
TABLES: dict[str, tuple[str, type[KnowledgeRow]]] = {
    "milestones": ("milestone", MilestoneRow),
}
