"""Say what could not be used or assessed, so that no card never means "could not tell"."""

from __future__ import annotations

from ..findings import Evidence, Finding, FindingCode, RuleRef, Severity, fit
from ..model import Exclusion, PatientSnapshot
from ..state import ClinicalState
from ..state.kinetics import latest_result

__all__ = ["data_quality_findings", "excluded_findings", "unavailable_findings"]

_SAFETY_RULE = RuleRef(
    id="cmlcds.data.excluded",
    guideline="cml-cds",
    source="cml-cds safety rule: never silently drop or guess data",
    verified=True,
    text="A record that cannot be interpreted is excluded and reported.",
    label="cml-cds safety rule, 2026 (docs/methods)",
)
_NOT_ASSESSABLE_RULE = RuleRef(
    id="cmlcds.data.not-assessable",
    guideline="cml-cds",
    source="cml-cds safety rule: silence means nothing to act on, never could not tell",
    verified=True,
    text="Milestones need a current TKI with a start date and BCR::ABL1 IS results on it.",
    label="cml-cds safety rule, 2026 (docs/methods)",
)


def data_quality_findings(state: ClinicalState) -> list[Finding]:
    """An info finding listing excluded records; another when the response could not be assessed."""
    snapshot = state.snapshot
    findings = excluded_findings(snapshot.exclusions) + unavailable_findings(snapshot)
    reason = _not_assessable_reason(state)
    if reason is not None:
        findings.append(
            Finding(
                code=FindingCode.NOT_ASSESSABLE,
                severity=Severity.INFO,
                summary=fit(f"Response to TKI not assessable: {reason}", "Response to TKI not assessable"),
                rules=(_NOT_ASSESSABLE_RULE,),
                detail=(
                    reason[0].upper() + reason[1:] + ".",
                    "No milestone card does not mean an optimal response.",
                ),
            )
        )
    return findings


def excluded_findings(exclusions: tuple[Exclusion, ...]) -> list[Finding]:
    """One `data-excluded` finding listing every record set aside with its reason; none when none was."""
    if not exclusions:
        return []
    count = len(exclusions)
    return [
        Finding(
            code=FindingCode.DATA_EXCLUDED,
            severity=Severity.INFO,
            summary=fit(
                f"Check {count} record{'s' if count > 1 else ''} not used: "
                + "; ".join(dict.fromkeys(e.reason for e in exclusions)),
                f"Check {count} record{'s' if count > 1 else ''} not used in the assessment",
            ),
            action="Check them in the chart and correct the record where it is wrong.",
            rules=(_SAFETY_RULE,),
            evidence=tuple(Evidence("Excluded", e.reason, None, e.reference) for e in exclusions),
            detail=("These records could not be interpreted safely and were not used.",),
        )
    ]


def unavailable_findings(snapshot: PatientSnapshot) -> list[Finding]:
    """A `not-assessable` finding naming the kinds of data the EHR did not provide; none when all came."""
    if not snapshot.unavailable:
        return []
    return [
        Finding(
            code=FindingCode.NOT_ASSESSABLE,
            severity=Severity.INFO,
            summary=fit(
                "Some checks not done: " + ", ".join(snapshot.unavailable) + " not provided",
                f"Some checks not done: {len(snapshot.unavailable)} kinds of data not provided",
            ),
            rules=(_NOT_ASSESSABLE_RULE,),
            detail=(
                "The EHR provided neither these data nor access to its FHIR server: "
                + "; ".join(snapshot.unavailable)
                + ". The checks that need them were not done.",
            ),
        )
    ]


def _not_assessable_reason(state: ClinicalState) -> str | None:
    snapshot = state.snapshot
    current = snapshot.current_tki
    if current is None:
        off = state.off_treatment
        sct = snapshot.allogeneic_transplant
        if off is not None and off.kind == "after-sct" and sct is not None:
            if not any(t.taken > sct for t in snapshot.transcripts):
                return f"no BCR::ABL1 result since the allogeneic transplant of {sct.isoformat()}"
            return None
        if off is not None:
            return None  # TFR or a new diagnosis: the relapse stage speaks for these states
        return "no current TKI recorded" if snapshot.transcripts else "no current TKI and no BCR::ABL1 IS results"
    if current.start is None:
        return f"the start date of {current.drug} is not recorded"
    if snapshot.atypical_transcript is not None:
        return None  # IS results do not measure it: the atypical-transcript card says how the response is followed
    latest = latest_result(snapshot.transcripts)
    if latest is None or latest.taken < current.start:
        return f"no usable BCR::ABL1 IS result since {current.drug} was started"
    return None
