"""The worklist as CSV, JSON and one static HTML page, written from rows already sorted by urgency.

Nothing is fetched and nothing leaves the machine: the page has no script, no external stylesheet, font or
image, and a Content-Security-Policy that forbids loading anything. Every string from the record or the
algorithm is HTML-escaped (`html.escape`, quotes too).
"""

from __future__ import annotations

import csv
import html
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .assess import Category, Row

__all__ = ["CSV_FIELDS", "RunInfo", "write_csv", "write_html", "write_json"]

CSV_FIELDS = (
    "patient",
    "category",
    "category_label",
    "indicator",
    "finding",
    "summary",
    "what_to_do",
    "data_date",
    "codes",
)


@dataclass(frozen=True)
class RunInfo:
    """What the outputs say about the run: the date assessed as of, the ids shown, the counts."""

    as_of: str
    generated: str
    ids: str  # "pseudonym" or "fhir-id"
    service_version: str
    knowledge_version: str
    counts: dict[int, int] = field(default_factory=dict)  # by category
    totals: dict[str, int] = field(default_factory=dict)


def _csv_row(row: Row) -> dict[str, Any]:
    data = asdict(row)
    data["codes"] = ";".join(row.codes)
    return data


def write_csv(path: Path, rows: Iterable[Row]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow(_csv_row(row))
            count += 1
    return count


def _json_row(row: Row) -> dict[str, Any]:
    data = asdict(row)
    data["codes"] = list(row.codes)
    return data


def write_json(path: Path, rows: Iterable[Row], info: RunInfo) -> None:
    """`{"asOf", "generated", "ids", "counts", "totals", "rows": [...]}`, written row by row."""
    head = {
        "asOf": info.as_of,
        "generated": info.generated,
        "ids": info.ids,
        "serviceVersion": info.service_version,
        "knowledgeVersion": info.knowledge_version,
        "counts": {Category(c).label: n for c, n in sorted(info.counts.items())},
        "totals": info.totals,
    }
    with path.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": [')
        for index, row in enumerate(rows):
            handle.write(("\n " if index == 0 else ",\n ") + json.dumps(_json_row(row), ensure_ascii=False))
        handle.write("\n]}\n")


_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#111}
h1{font-size:1.4em;margin:0 0 .3em}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ccc;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2;position:sticky;top:0}
.counts td{border:none;padding:.1em .8em .1em 0}
.critical{border-left:6px solid #D55E00}.warning{border-left:6px solid #E69F00}.info{border-left:6px solid #0072B2}
.ind{font-weight:600;text-transform:uppercase;font-size:.8em}
code{font-size:.85em}
h2{font-size:1.1em;margin:1.2em 0 .3em}
@media print{th{position:static}}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def write_html(path: Path, rows: Iterable[Row], info: RunInfo) -> None:
    """One page: counts per category, then one table per category, most urgent first."""
    with path.open("w", encoding="utf-8") as out:
        _head(out, info)
        current: int | None = None
        for row in rows:
            if row.category != current:
                if current is not None:
                    out.write("</tbody></table>\n")
                current = row.category
                label = Category(current).label
                out.write(
                    f'<h2 id="c{current}">{_e(label)} ({info.counts.get(current, 0)})</h2>\n<table><thead><tr>'
                    "<th>Patient</th><th>Indicator</th><th>Most urgent card</th><th>What to do</th>"
                    "<th>Data of</th><th>All finding codes</th></tr></thead><tbody>\n"
                )
            out.write(
                f'<tr class="{_e(row.indicator)}"><td><code>{_e(row.patient)}</code></td>'
                f'<td class="ind">{_e(row.indicator)}</td>'
                f"<td><code>{_e(row.finding)}</code><br>{_e(row.summary)}</td><td>{_e(row.what_to_do)}</td>"
                f"<td>{_e(row.data_date)}</td><td>{_e(' '.join(row.codes))}</td></tr>\n"
            )
        if current is not None:
            out.write("</tbody></table>\n")
        else:
            out.write("<p>No patient needs action.</p>\n")
        out.write("</body></html>\n")


def _head(out: TextIO, info: RunInfo) -> None:
    out.write(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        '<meta name="referrer" content="no-referrer">'
        f"<title>CML worklist as of {_e(info.as_of)}</title><style>{_STYLE}</style></head><body>\n"
        f"<h1>CML worklist as of {_e(info.as_of)}</h1>\n"
        f"<p>{_e(info.totals.get('action', 0))} of {_e(info.totals.get('cml', 0))} CML patients need action. "
        f"Patients are shown by {'pseudonym' if info.ids == 'pseudonym' else 'FHIR id'}. Generated "
        f"{_e(info.generated)} by cml-cds {_e(info.service_version)}, knowledge {_e(info.knowledge_version)}; "
        'each row is the patient\'s most urgent patient-view card.</p>\n<table class="counts"><tbody>\n'
    )
    for category in Category:
        count = info.counts.get(int(category), 0)
        name = _e(category.label)
        cell = f'<a href="#c{int(category)}">{name}</a>' if count else name
        out.write(f"<tr><td>{cell}</td><td>{count}</td></tr>\n")
    out.write("</tbody></table>\n")
