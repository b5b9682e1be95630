"""Load and validate the knowledge tables at start-up: a malformed table stops the service, loudly.

The tables live in `tki_resistance/knowledge/*.toml`, one file per table, each opening with a legend for
the reviewing haematologist. `sources.toml` is the registry every row's `source` must point into.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import ValidationError

from ..findings import RuleRef
from ..model import COMORBIDITY_KEYS, TKIS
from .interactions import InteractionIndex
from .schema import (
    TABLES,
    AnyTimeFailureRow,
    ComorbidityCautionRow,
    CompoundRuleRow,
    CourseRuleRow,
    DoseRow,
    DrugClassRow,
    EvidenceWindowRow,
    ExtrinsicCheckRow,
    IndicationRow,
    InteractionRow,
    KnowledgeRow,
    MilestoneRow,
    MonitoringRow,
    MutationRuleRow,
    MutationTestingRow,
    NccnRow,
    OrderingRuleRow,
    OrganFunctionRow,
    PhaseRow,
    PolymorphismRow,
    PregnancyCodeRow,
    PregnancyRuleRow,
    ResponseLevelRow,
    SctReferralRow,
    SourceRow,
    TfrCriterionRow,
)

__all__ = ["KNOWLEDGE_DIR", "Knowledge", "KnowledgeError", "default_knowledge", "load_knowledge"]

KNOWLEDGE_DIR = Path(__file__).parent

RowT = TypeVar("RowT", bound=KnowledgeRow)

#: the phases `Knowledge.dose_for` takes, and the dose-row phases that cover each
_DOSE_PHASES: dict[str, frozenset[str]] = {
    "chronic": frozenset({"chronic", "any"}),
    "accelerated": frozenset({"accelerated", "advanced", "any"}),
    "blast": frozenset({"blast", "advanced", "any"}),
}
_DOSE_LINES = ("first", "later")


class KnowledgeError(Exception):
    """A knowledge table is missing, malformed, or points at a source that does not exist."""


@dataclass(frozen=True)
class Knowledge:
    """All knowledge tables, validated, with a content version that every response reports."""

    version: str
    sources: dict[str, SourceRow]
    tables: dict[str, tuple[KnowledgeRow, ...]]

    def rows(self, table: str, row_type: type[RowT]) -> tuple[RowT, ...]:
        """The rows of `table`, typed. `load_knowledge` built them with the model `TABLES` names for the
        table, so the type holds by construction; checking it on every access cost more than the rules."""
        if TABLES[table][1] is not row_type:
            raise KnowledgeError(f"table {table!r} does not hold {row_type.__name__} rows")
        return cast(tuple[RowT, ...], self.tables[table])

    @property
    def milestones(self) -> tuple[MilestoneRow, ...]:
        return self.rows("milestones", MilestoneRow)

    @property
    def nccn_bands(self) -> tuple[NccnRow, ...]:
        return self.rows("nccn_traffic_light", NccnRow)

    @property
    def response_levels(self) -> tuple[ResponseLevelRow, ...]:
        return self.rows("response_levels", ResponseLevelRow)

    @property
    def mutation_rules(self) -> tuple[MutationRuleRow, ...]:
        return self.rows("mutation_rules", MutationRuleRow)

    @property
    def compound_rules(self) -> tuple[CompoundRuleRow, ...]:
        return self.rows("compound_rules", CompoundRuleRow)

    @property
    def course_rules(self) -> tuple[CourseRuleRow, ...]:
        return self.rows("course_rules", CourseRuleRow)

    @cached_property
    def _course_index(self) -> dict[str, CourseRuleRow]:
        index: dict[str, CourseRuleRow] = {}
        for row in self.course_rules:
            index.setdefault(row.rule, row)
        return index

    def course_rule(self, rule: str) -> CourseRuleRow | None:
        """The course rule with key `rule` (a CourseRule), or None when the table lacks it (indexed once)."""
        return self._course_index.get(rule)

    @property
    def doses(self) -> tuple[DoseRow, ...]:
        return self.rows("doses", DoseRow)

    def dose_for(self, tki: str, situation: str, phase: str, line: str) -> DoseRow | None:
        """The dose row for `tki` in `situation` (a DoseRow situation), today's `phase` (chronic / accelerated /
        blast) and `line` (first / later): the first row in table order whose phase is `phase`, "advanced" (for
        accelerated or blast) or "any", and whose line is `line` or "any". When no row has that line, the first
        row of any line for the phase (ponatinib has no first-line row). None when no row covers the phase: a
        TKI without a blast-phase row (nilotinib) has no blast-phase dose."""
        key = (tki, situation, phase, line)
        if key in self._dose_memo:
            return self._dose_memo[key]
        phases = _DOSE_PHASES.get(phase)
        if phases is None:
            raise ValueError(f"phase {phase!r} is not one of {sorted(_DOSE_PHASES)}")
        if line not in _DOSE_LINES:
            raise ValueError(f"line {line!r} is not one of {list(_DOSE_LINES)}")
        rows = [row for row in self.doses if row.tki == tki and row.situation == situation and row.phase in phases]
        found = next((row for row in rows if row.line in (line, "any")), rows[0] if rows else None)
        self._dose_memo[key] = found
        return found

    @cached_property
    def _dose_memo(self) -> dict[tuple[str, str, str, str], DoseRow | None]:
        """`dose_for` answers, filled as asked: the table does not change while a Knowledge lives."""
        return {}

    @property
    def indications(self) -> tuple[IndicationRow, ...]:
        return self.rows("indications", IndicationRow)

    @cached_property
    def _approved_phases(self) -> dict[str, frozenset[str]]:
        return {row.tki: frozenset(row.phases) for row in self.indications}

    def approved_phases(self, tki: str) -> frozenset[str]:
        """The phases (chronic / accelerated / blast) the US label approves `tki` in; empty for an unknown TKI.
        Load-time validation guarantees one indication row per TKI of `TKIS`."""
        return self._approved_phases.get(tki, frozenset())

    @property
    def drug_classes(self) -> tuple[DrugClassRow, ...]:
        return self.rows("drug_classes", DrugClassRow)

    @property
    def extrinsic_checks(self) -> tuple[ExtrinsicCheckRow, ...]:
        return self.rows("extrinsic_checks", ExtrinsicCheckRow)

    @property
    def interactions(self) -> tuple[InteractionRow, ...]:
        return self.rows("interactions", InteractionRow)

    @cached_property
    def interaction_index(self) -> InteractionIndex:
        """Drug classes by RxCUI and member name, interaction rows by (TKI, class): built once, on first use."""
        return InteractionIndex(self.drug_classes, self.interactions)

    @property
    def comorbidity_cautions(self) -> tuple[ComorbidityCautionRow, ...]:
        return self.rows("comorbidity_cautions", ComorbidityCautionRow)

    @property
    def tfr_criteria(self) -> tuple[TfrCriterionRow, ...]:
        return self.rows("tfr_criteria", TfrCriterionRow)

    @property
    def monitoring_intervals(self) -> tuple[MonitoringRow, ...]:
        return self.rows("monitoring_intervals", MonitoringRow)

    @property
    def phases(self) -> tuple[PhaseRow, ...]:
        return self.rows("phases", PhaseRow)

    @property
    def any_time_failure(self) -> tuple[AnyTimeFailureRow, ...]:
        return self.rows("any_time_failure", AnyTimeFailureRow)

    @property
    def evidence_windows(self) -> tuple[EvidenceWindowRow, ...]:
        return self.rows("evidence_windows", EvidenceWindowRow)

    def evidence_window(self, evidence: str) -> EvidenceWindowRow | None:
        """How old evidence of kind `evidence` (blasts, karyotype, recorded-phase, pregnancy, …) may be; None
        when the table has no row for it (the evidence then counts whatever its age)."""
        return next((w for w in self.evidence_windows if w.evidence == evidence), None)

    @property
    def polymorphisms(self) -> tuple[PolymorphismRow, ...]:
        return self.rows("polymorphisms", PolymorphismRow)

    @property
    def mutation_testing(self) -> tuple[MutationTestingRow, ...]:
        return self.rows("mutation_testing", MutationTestingRow)

    @property
    def sct_referral(self) -> tuple[SctReferralRow, ...]:
        return self.rows("sct_referral", SctReferralRow)

    @property
    def organ_function(self) -> tuple[OrganFunctionRow, ...]:
        return self.rows("organ_function", OrganFunctionRow)

    def organ_rule(self, measure: str, rule: str) -> OrganFunctionRow | None:
        """The organ-function row for `measure` and `rule`, or None when the table lacks it."""
        return next((r for r in self.organ_function if r.measure == measure and r.rule == rule), None)

    @property
    def ordering_rules(self) -> tuple[OrderingRuleRow, ...]:
        return self.rows("ordering_rules", OrderingRuleRow)

    @property
    def pregnancy_rules(self) -> tuple[PregnancyRuleRow, ...]:
        return self.rows("pregnancy", PregnancyRuleRow)

    def pregnancy_rows(self, situation: str, tki: str | None = None) -> tuple[PregnancyRuleRow, ...]:
        """The pregnancy rows for `situation`: those for `tki` and those for any TKI, in table order."""
        return tuple(
            row
            for row in self.pregnancy_rules
            if row.situation == situation and (row.tki == "any" or (tki is not None and row.tki == tki))
        )

    @property
    def pregnancy_codes(self) -> tuple[PregnancyCodeRow, ...]:
        return self.rows("pregnancy_codes", PregnancyCodeRow)

    @cached_property
    def _mutation_index(self) -> tuple[dict[str, tuple[MutationRuleRow, ...]], tuple[MutationRuleRow, ...]]:
        """Built once per knowledge base (load_knowledge touches it), not per call: mutation name (upper case)
        → the rows that name it or any mutation ("*"), in table order; and the "*" rows alone. `not-atp-site`
        rows are exemptions from "*" rows, not rules of their own (mutations.py reads them apart)."""
        rows = [row for row in self.mutation_rules if row.mutations and row.effect != "not-atp-site"]
        names = {m.upper() for row in rows for m in row.mutations if m != "*"}
        index = {
            name: tuple(row for row in rows if "*" in row.mutations or name in {m.upper() for m in row.mutations})
            for name in names
        }
        return index, tuple(row for row in rows if "*" in row.mutations)

    def mutation_rows(self, change: str) -> tuple[MutationRuleRow, ...]:
        """The mutation rules that apply to one change (rows naming it, and "*" rows; no `not-atp-site` row),
        in table order."""
        index, wildcard = self._mutation_index
        return index.get(change.upper(), wildcard)

    @cached_property
    def _rule_refs(self) -> dict[int, tuple[KnowledgeRow, RuleRef]]:
        """Every row's RuleRef, built once at load (a RuleRef is immutable): findings ask for hundreds per
        call. Keyed by the row's identity, the row kept beside its ref, so a row built elsewhere (equal or
        not) never takes another's ref."""
        return {id(row): (row, self._rule_ref(row)) for rows in self.tables.values() for row in rows}

    def rule(self, row: KnowledgeRow, guideline: str | None = None, text: str = "") -> RuleRef:
        """The reference a finding carries for `row`: id, guideline, source key, verified flag, and the row's
        own words (its text, action and note), so the card's extension keeps every rule in full."""
        if guideline is None and not text:
            known = self._rule_refs.get(id(row))
            if known is not None and known[0] is row:
                return known[1]
        return self._rule_ref(row, guideline, text)

    def _rule_ref(self, row: KnowledgeRow, guideline: str | None = None, text: str = "") -> RuleRef:
        source = self.sources[row.source]
        return RuleRef(
            id=row.id,
            guideline=guideline or getattr(row, "guideline", None) or source.guideline,
            source=f"{source.key}: {source.citation}",
            verified=row.verified,
            text=text
            or " — ".join(part for part in (getattr(row, "text", ""), getattr(row, "action", ""), row.note) if part),
            url=source.url,
            label=source.label,
        )


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
