"""Outputs: pseudonyms, the order of the rows, the HTML page escaping every string, --as-of, the chart padding."""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bench.population import population
from cds_hooks.cli import main
from cds_hooks.logs import pseudonym as audit_pseudonym
from tests.builders import TODAY, bcr_abl1, tki_statement
from tests.worklist.conftest import SECRET, write_ndjson
from worklist.assess import Category, Row, assess_patient, pseudonym, snapshot_of
from worklist.outputs import RunInfo, write_html
from worklist.runner import Options, run


def _run(folder: Path, out: Path, *extra: str) -> int:
    return main(["worklist", "--ndjson", str(folder), "--out", str(out), "--as-of", TODAY.isoformat(), *extra])


def _rows(out: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads((out / "worklist.json").read_text())["rows"]
    return rows


def test_pseudonyms_are_stable_and_not_the_fhir_id(
    course_export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CMLCDS_PSEUDONYM_SECRET", SECRET.decode())
    assert _run(course_export, tmp_path / "a", "--no-progress") == 0
    assert _run(course_export, tmp_path / "b", "--no-progress") == 0
    first, second = _rows(tmp_path / "a"), _rows(tmp_path / "b")
    assert [r["patient"] for r in first] == [r["patient"] for r in second]  # same key, same pseudonyms
    assert _run(course_export, tmp_path / "ids", "--no-progress", "--fhir-ids") == 0
    fhir_ids = {str(r["patient"]) for r in _rows(tmp_path / "ids")}
    assert {pseudonym(i, SECRET) for i in fhir_ids} == {r["patient"] for r in first}
    assert audit_pseudonym("c001", SECRET) == pseudonym("c001", SECRET)  # the service's audit pseudonym
    for out in ("a", "b"):  # no FHIR id anywhere in the pseudonymous outputs
        for name in ("worklist.csv", "worklist.json", "worklist.html"):
            text = (tmp_path / out / name).read_text()
            assert not re.search(r"\b[cg]\d{3}\b", text), name
    monkeypatch.delenv("CMLCDS_PSEUDONYM_SECRET")
    assert _run(course_export, tmp_path / "c", "--no-progress") == 0  # a random key: other pseudonyms
    assert {r["patient"] for r in _rows(tmp_path / "c")}.isdisjoint({r["patient"] for r in first})


def test_rows_sorted_by_urgency(course_export: Path, tmp_path: Path) -> None:
    assert _run(course_export, tmp_path, "--no-progress", "--fhir-ids") == 0
    rows = _rows(tmp_path)
    keys = [(r["category"], {"critical": 0, "warning": 1}.get(str(r["indicator"]), 2)) for r in rows]
    assert keys == sorted(keys)
    with (tmp_path / "worklist.csv").open(encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert [r["patient"] for r in table] == [r["patient"] for r in rows]
    assert table[0]["codes"] == ";".join(rows[0]["codes"])  # type: ignore[arg-type]
    counts = json.loads((tmp_path / "worklist.json").read_text())["counts"]
    assert sum(counts.values()) == len(rows)
    page = (tmp_path / "worklist.html").read_text()
    positions = [page.index(f'id="c{int(c)}"') for c in Category if f'id="c{int(c)}"' in page]
    assert positions == sorted(positions)  # the categories in the order


def test_html_escapes_every_string(tmp_path: Path) -> None:
    hostile = '<script>alert("x")</script>&"\''
    row = Row(hostile, 2, hostile, "warning", hostile, hostile, hostile, hostile, (hostile,))
    info = RunInfo(hostile, hostile, "fhir-id", hostile, hostile, {2: 1}, {"cml": 1, "action": 1})
    write_html(tmp_path / "page.html", [row], info)
    page = (tmp_path / "page.html").read_text()
    assert "<script" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&quot;&#x27;" in page
    assert "default-src 'none'" in page  # nothing is loaded from anywhere
    assert not re.search(r"(src|href)=\"(https?:)?//", page)


def test_as_of_makes_runs_reproducible(tmp_path: Path) -> None:
    """The same export, two dates: the later date finds monitoring overdue, the earlier one does not."""
    start = date(2024, 1, 10)
    resources = [
        {"resourceType": "Patient", "id": "p1"},
        tki_statement("imatinib", start, dose_mg=400, patient="p1", ident="m1"),
        bcr_abl1(date(2024, 4, 10), 5.0, patient="p1", ident="o1"),
        bcr_abl1(date(2024, 7, 10), 0.8, patient="p1", ident="o2"),
        bcr_abl1(date(2025, 1, 10), 0.05, patient="p1", ident="o3"),
    ]
    write_ndjson(tmp_path / "export", resources)
    codes: dict[str, list[str]] = {}
    for as_of in ("2025-02-01", "2026-06-01"):
        out = tmp_path / as_of
        assert main(["worklist", "--ndjson", str(tmp_path / "export"), "--out", str(out), "--as-of", as_of,
                     "--fhir-ids", "--no-progress"]) == 0  # fmt: skip
        rows = _rows(out)
        codes[as_of] = [str(code) for code in rows[0]["codes"]] if rows else []  # type: ignore[attr-defined]
        assert json.loads((out / "worklist.json").read_text())["asOf"] == as_of
    assert "monitoring-due" not in codes["2025-02-01"] and "monitoring-due" in codes["2026-06-01"]


def test_the_laboratory_panel_changes_no_card() -> None:
    """A whole-record export holds Observations the hook's prefetch queries never ask for (the population's routine
    laboratory panel: haemoglobin, leukocytes, neutrophils, creatinine, ALT, bilirubin): with or without them, every
    generated patient gets the same row. (The problem list is read by both: `conditions` is
    `Condition?patient={{context.patientId}}`, so a comorbidity there may add a caution, in the hook too.)"""
    from tki_resistance import default_knowledge

    knowledge = default_knowledge()
    labs = 0
    for patient, full in population(150, seed=5, chart=True):
        without = [r for r in full if "-lab" not in str(r.get("id"))]
        labs += len(full) - len(without)
        a = assess_patient(patient, [json.dumps(r).encode() for r in full], TODAY, knowledge, patient)
        b = assess_patient(patient, [json.dumps(r).encode() for r in without], TODAY, knowledge, patient)
        assert a == b, patient
        assert not snapshot_of(patient, [json.dumps(r).encode() for r in full], TODAY).exclusions or a == b
    assert labs > 150 * 40


def test_not_cml_patients_are_counted_not_listed(tmp_path: Path) -> None:
    resources: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": "other"},
        {
            "resourceType": "Condition",
            "id": "c1",
            "code": {"text": "Essential hypertension"},
            "subject": {"reference": "Patient/other"},
        },
    ]
    write_ndjson(tmp_path / "export", resources)
    summary = run(Options(tmp_path / "export", tmp_path / "out", TODAY, SECRET, workers=1, progress=False))
    assert (summary.patients, summary.not_cml, summary.cml, summary.action) == (1, 1, 0, 0)
    assert "No patient needs action" in (tmp_path / "out" / "worklist.html").read_text()
