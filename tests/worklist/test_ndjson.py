"""The NDJSON reader and the index on Bulk Data shapes.

File names and layout follow the HL7 Bulk Data Access IG's examples (its "Response - Complete Status" manifest:
`patient_file_1.ndjson`, `patient_file_2.ndjson`, `observation_file_1.ndjson` — the type is in the manifest, not
reliably in the name, so the reader takes it from each line), one resource per line, UTF-8, gzip accepted;
references relative, absolute and versioned. Every malformed line is skipped and reported with its file and line
number, and the rest of the file is read.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tests.builders import TODAY, bcr_abl1, tki_statement
from worklist.index import IndexReader, IndexWriter
from worklist.ndjson import Line, Skipped, ndjson_files, patient_of, read_lines
from worklist.runner import Options, run


def _line(resource: dict[str, object]) -> str:
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":"))


def _patient(ident: str, name: str) -> dict[str, object]:
    return {"resourceType": "Patient", "id": ident, "name": [{"family": name}], "birthDate": "1961-05-04"}


def _export(folder: Path) -> Path:
    folder.mkdir()
    (folder / "patient_file_1.ndjson").write_text(
        _line(_patient("p1", "Ørsted")) + "\r\n" + _line(_patient("p2", "Núñez")) + "\r\n", encoding="utf-8"
    )
    (folder / "patient_file_2.ndjson").write_text(_line(_patient("p3", "Smith")), encoding="utf-8")  # no final \n
    observations = [
        bcr_abl1(TODAY, 0.05, patient="p1", ident="o1"),
        bcr_abl1(TODAY, 12.0, patient="p2", ident="o2")
        | {"subject": {"reference": "https://ehr.example/fhir/Patient/p2"}},
        bcr_abl1(TODAY, 1.0, patient="p3", ident="o3") | {"subject": {"reference": "Patient/p3/_history/4"}},
    ]
    lines = [_line(observations[0]), "", _line(observations[1])]
    lines += [
        '{"resourceType":"Observation","id":"broken"',  # truncated
        "[1, 2, 3]",  # not an object
        '{"id":"no-type"}',  # no resourceType
        '{"resourceType":"Observation","id":"x","subject":"Patient/p1"}',  # subject not a Reference
        _line(observations[2]),
        '{"resourceType":"Encounter","id":"e1","subject":{"reference":"Patient/p1"}}',  # a type not read
        '{"resourceType":"Observation","id":"orphan","status":"final","code":{"text":"x"}}',  # no patient
    ]
    (folder / "observation_file_1.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with gzip.open(folder / "medication_file_1.ndjson.gz", "wt", encoding="utf-8") as handle:
        handle.write(_line(tki_statement("imatinib", TODAY, patient="p2", ident="m1", dose_mg=400)) + "\n")
        handle.write("not json\n")
    (folder / "manifest.json").write_text("{}")  # not NDJSON: not read
    return folder


def test_lines_types_and_patients(tmp_path: Path) -> None:
    folder = _export(tmp_path / "export")
    files = ndjson_files(folder)
    assert [p.name for p in files] == [
        "medication_file_1.ndjson.gz",
        "observation_file_1.ndjson",
        "patient_file_1.ndjson",
        "patient_file_2.ndjson",
    ]
    items = [item for path in files for item in read_lines(path)]
    lines = [i for i in items if isinstance(i, Line)]
    assert [(i.kind, i.ident, i.patient) for i in lines if i.kind != "Encounter"] == [
        ("MedicationStatement", "m1", "p2"),
        ("Observation", "o1", "p1"),
        ("Observation", "o2", "p2"),
        ("Observation", "o3", "p3"),
        ("Observation", "orphan", None),
        ("Patient", "p1", "p1"),
        ("Patient", "p2", "p2"),
        ("Patient", "p3", "p3"),
    ]
    skipped = [(i.file.name, i.number, i.reason.split(":")[0]) for i in items if isinstance(i, Skipped)]
    assert skipped == [
        ("medication_file_1.ndjson.gz", 2, "not JSON"),
        ("observation_file_1.ndjson", 4, "not JSON"),
        ("observation_file_1.ndjson", 5, "not a FHIR resource"),
        ("observation_file_1.ndjson", 6, "no resourceType"),
        ("observation_file_1.ndjson", 7, "not a FHIR resource"),
    ]
    # the byte offsets give back each line exactly (CRLF and a missing final newline included)
    for line in lines:
        if not line.file.name.endswith(".gz"):
            with line.file.open("rb") as handle:
                handle.seek(line.offset)
                assert handle.read(line.length) == line.raw


def test_patient_references() -> None:
    assert patient_of("Patient/123") == "123"
    assert patient_of("https://ehr.example/fhir/Patient/123") == "123"
    assert patient_of("Patient/123/_history/2") == "123"
    assert patient_of("Group/1") is None
    assert patient_of("Patient/") is None
    assert patient_of(None) is None


def test_index_groups_by_patient(tmp_path: Path) -> None:
    folder = _export(tmp_path / "export")
    writer = IndexWriter(tmp_path / "index.sqlite3")
    for path in ndjson_files(folder):
        number = writer.open_file(path)
        for item in read_lines(path):
            if isinstance(item, Line):
                writer.add(number, item)
    assert writer.finish() == 3
    assert writer.not_read == {"Encounter": 1}
    assert writer.no_patient == {"Observation": 1}
    reader = IndexReader(tmp_path / "index.sqlite3")
    assert [p for batch in reader.patients(2) for p in batch] == ["p1", "p2", "p3"]
    p2 = sorted(json.loads(raw)["id"] for raw in reader.resources("p2"))
    assert p2 == ["m1", "o2", "p2"]  # the gzip line comes back from the spool file
    reader.close()


def test_a_malformed_line_is_never_fatal(tmp_path: Path) -> None:
    folder = _export(tmp_path / "export")
    summary = run(Options(folder, tmp_path / "out", TODAY, b"k" * 32, reveal_ids=True, workers=1, progress=False))
    assert summary.skipped == 5 and summary.patients == 3 and summary.errors == 0
    assert "observation_file_1.ndjson:4: not JSON" in summary.skipped_examples[1]
    report = (tmp_path / "out" / "skipped-lines.csv").read_text().splitlines()
    assert report[0] == "file,line,reason" and report[1].startswith("medication_file_1.ndjson.gz,2,not JSON")
    assert "broken" not in "\n".join(report)  # the report names where, never what the line held
    # p3's only result names it by a versioned reference: the index files it under p3, and the mapping (as the
    # hook would) sets it aside, so p3 has no CML data left and is counted, not listed
    assert (summary.cml, summary.not_cml) == (2, 1)
