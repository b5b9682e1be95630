"""What every knowledge row has: a stable id, its source (a key of sources.toml) and a verified flag."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["KnowledgeRow", "Phase", "SourceRow", "Tki"]


Tki = Literal["imatinib", "dasatinib", "nilotinib", "bosutinib", "ponatinib", "asciminib"]


Phase = Literal["chronic", "accelerated", "blast"]


class KnowledgeRow(BaseModel):
    """Fields every fact carries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-_]*$", description="stable rule id")
    source: str = Field(description="key of sources.toml")
    verified: bool = Field(
        description="checked against its primary source (false: from memory, or known only through a secondary "
        "document such as a payer policy)"
    )
    note: str = ""


class SourceRow(BaseModel):
    """A citable source: guideline, review, label or seed document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    citation: str
    guideline: str = Field(description="how a card names it, e.g. 'ELN 2020', 'NCCN 2025', 'label'")
    label: str = Field(min_length=3, description="how a card cites it: guideline or authors, version and year")
    year: int | None = Field(default=None, ge=1990, le=2100, description="year of the version cited")
    url: str = ""

    @model_validator(mode="after")
    def _label_names_the_year(self) -> SourceRow:
        """A card's citation must carry the version's year, or say plainly that there is none."""
        if self.year is not None and str(self.year) not in self.label:
            raise ValueError(f"label {self.label!r} does not name the year {self.year}")
        undated = "undated" in self.label or self.guideline in ("unverified", "cml-cds")
        if self.year is None and not undated:
            raise ValueError(f"source {self.key!r} has no year: give `year` or say 'undated' in the label")
        return self
