"""The `Knowledge` object: every table, validated by `loader.py`, and the look-ups the clinical code asks of it.

A Knowledge is built once per process and never changes, so a look-up that the rules ask for on every call
(a course rule, a dose, a caution for a TKI and a comorbidity, an organ-function row, a mutation's rows) is
indexed on first use rather than found by scanning the table each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar, cast

from ..findings import RuleRef
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

__all__ = ["Knowledge", "KnowledgeError"]

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

    @cached_property
    def _caution_index(self) -> dict[tuple[str, str], tuple[ComorbidityCautionRow, ...]]:
        index: dict[tuple[str, str], list[ComorbidityCautionRow]] = {}
        for row in self.comorbidity_cautions:
            index.setdefault((row.tki, row.comorbidity), []).append(row)
        return {key: tuple(rows) for key, rows in index.items()}

    def caution_rows(self, tki: str, comorbidity: str) -> tuple[ComorbidityCautionRow, ...]:
        """The caution rows for `tki` with `comorbidity` (a COMORBIDITY_KEYS key), in table order (indexed once)."""
        return self._caution_index.get((tki, comorbidity), ())

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

    @cached_property
    def _organ_index(self) -> dict[tuple[str, str], OrganFunctionRow]:
        index: dict[tuple[str, str], OrganFunctionRow] = {}
        for row in self.organ_function:
            index.setdefault((row.measure, row.rule), row)
        return index

    def organ_rule(self, measure: str, rule: str) -> OrganFunctionRow | None:
        """The organ-function row for `measure` and `rule`, or None when the table lacks it (indexed once)."""
        return self._organ_index.get((measure, rule))

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
    def _not_atp_site_index(self) -> dict[tuple[str, str], MutationRuleRow]:
        index: dict[tuple[str, str], MutationRuleRow] = {}
        for row in self.mutation_rules:
            if row.effect == "not-atp-site":
                for tki in row.tkis:
                    for mutation in row.mutations:
                        index.setdefault((tki, mutation.upper()), row)
        return index

    def not_atp_site(self, tki: str, change: str) -> MutationRuleRow | None:
        """The first `not-atp-site` row that keeps the "any mutation" rows for `tki` off `change` (indexed once)."""
        return self._not_atp_site_index.get((tki, change.upper()))

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
