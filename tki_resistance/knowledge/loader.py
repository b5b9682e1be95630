"""Load and validate the knowledge tables at start-up: a malformed table stops the service, loudly.

The tables live in `tki_resistance/knowledge/*.toml`, one file per table, each opening with a legend for
the reviewing haematologist. `sources.toml` is the registry every row's `source` must point into. The
`Knowledge` this returns, with its look-ups, is in `tables.py`.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..model import COMORBIDITY_KEYS, TKIS
from .schema import (
    TABLES,
    ComorbidityCautionRow,
    DrugClassRow,
    IndicationRow,
    InteractionRow,
    KnowledgeRow,
    SourceRow,
)
from .tables import Knowledge, KnowledgeError

__all__ = ["KNOWLEDGE_DIR", "Knowledge", "KnowledgeError", "default_knowledge", "load_knowledge"]

KNOWLEDGE_DIR = Path(__file__).parent


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise KnowledgeError(f"knowledge table missing: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"{path.name}: not valid TOML: {exc}") from exc


def _validate_rows(path: Path, array: str, model: type[KnowledgeRow], raw: Sequence[Any]) -> tuple[KnowledgeRow, ...]:
    rows: list[KnowledgeRow] = []
    for index, item in enumerate(raw, start=1):
        try:
            rows.append(model.model_validate(item))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise KnowledgeError(f"{path.name}: [[{array}]] row {index}: {problems}") from exc
    return tuple(rows)


def _check_indications(rows: Sequence[KnowledgeRow]) -> None:
    """Exactly one indication row per TKI the service knows (model.TKIS): a missing TKI would read as
    "approved in no phase", a second row would make the answer depend on table order."""
    seen: dict[str, str] = {}
    for row in rows:
        if isinstance(row, IndicationRow):
            if row.tki in seen:
                raise KnowledgeError(
                    f"indications.toml: rule {row.id!r} is a second row for {row.tki!r} (first: {seen[row.tki]!r})"
                )
            seen[row.tki] = row.id
    missing = [tki for tki in TKIS if tki not in seen]
    if missing:
        raise KnowledgeError(f"indications.toml: no indication row for {', '.join(missing)}")
    unknown = sorted(set(seen) - set(TKIS))
    if unknown:
        raise KnowledgeError(f"indications.toml: rows for TKIs the service does not know: {', '.join(unknown)}")


def _check_references(tables: dict[str, tuple[KnowledgeRow, ...]]) -> None:
    """Cross-table checks: interactions name a known drug class, cautions a known comorbidity key, and every
    TKI has exactly one indication row."""
    classes = {row.drug_class for row in tables["drug_classes"] if isinstance(row, DrugClassRow)}
    for row in tables["interactions"]:
        if isinstance(row, InteractionRow) and row.drug_class not in classes:
            raise KnowledgeError(f"interactions.toml: rule {row.id!r} names unknown drug class {row.drug_class!r}")
    for row in tables["comorbidity_cautions"]:
        if isinstance(row, ComorbidityCautionRow) and row.comorbidity not in COMORBIDITY_KEYS:
            raise KnowledgeError(
                f"comorbidity_cautions.toml: rule {row.id!r} names unknown comorbidity {row.comorbidity!r}"
            )
    _check_indications(tables["indications"])


def load_knowledge(directory: Path = KNOWLEDGE_DIR) -> Knowledge:
    """Read every table, validate each row, check ids are unique and every source key resolves."""
    digest = hashlib.sha256()
    sources_path = directory / "sources.toml"
    sources_doc = _read_toml(sources_path)
    digest.update(sources_path.read_bytes())
    sources: dict[str, SourceRow] = {}
    for index, item in enumerate(sources_doc.get("source", []), start=1):
        try:
            source = SourceRow.model_validate(item)
        except ValidationError as exc:
            raise KnowledgeError(f"sources.toml: [[source]] row {index}: {exc.errors()[0]['msg']}") from exc
        if source.key in sources:
            raise KnowledgeError(f"sources.toml: duplicate source key {source.key!r}")
        sources[source.key] = source

    tables: dict[str, tuple[KnowledgeRow, ...]] = {}
    seen_ids: dict[str, str] = {}
    for name, (array, model) in sorted(TABLES.items()):
        path = directory / f"{name}.toml"
        document = _read_toml(path)
        digest.update(path.read_bytes())
        raw = document.get(array)
        if not isinstance(raw, list) or not raw:
            raise KnowledgeError(f"{path.name}: no [[{array}]] rows")
        rows = _validate_rows(path, array, model, raw)
        for row in rows:
            if row.id in seen_ids:
                raise KnowledgeError(f"{path.name}: rule id {row.id!r} already used in {seen_ids[row.id]}")
            seen_ids[row.id] = path.name
            if row.source not in sources:
                raise KnowledgeError(f"{path.name}: rule {row.id!r} cites unknown source {row.source!r}")
        tables[name] = rows

    _check_references(tables)
    version = str(sources_doc.get("meta", {}).get("version", "0"))
    knowledge = Knowledge(version=f"{version}+{digest.hexdigest()[:12]}", sources=sources, tables=tables)
    knowledge.mutation_rows("")  # builds the index now, at load, rather than in the first hook call
    knowledge.rule(tables["milestones"][0])  # and every row's RuleRef
    return knowledge


@cache
def default_knowledge() -> Knowledge:
    """The bundled knowledge base, loaded once per process."""
    return load_knowledge()
