"""`cml-cds worklist`: every CML patient who needs action, from a FHIR Bulk Data export (issue #26).

The same path as the patient-view hook, patient by patient: Bulk Data NDJSON (a folder, or a server's
`$export`) → an on-disk index by patient (index.py) → `fhir_mapping.build_snapshot` →
`tki_resistance.assess` in worker processes (runner.py) → one row per patient who needs action, in CSV,
JSON and a static HTML page (outputs.py). Never imported by `cds_hooks` except lazily by its CLI.
"""
