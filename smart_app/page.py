"""The app's HTML: the chart, the findings with their sources, and every value again as text.

No script: the page is complete as served, so it works under a strict Content-Security-Policy, in an
EHR frame that blocks scripts, and on paper. The stylesheet is inlined under a per-response nonce.
"""

from __future__ import annotations

import re
from html import escape
from importlib.resources import files

from .chart import render_chart
from .view import Course, DoseStep, FindingView, SourceView

__all__ = ["content_security_policy", "course_page", "error_page"]

_CSS = files("smart_app").joinpath("static/app.css").read_text(encoding="utf-8")
_MILESTONE = {3: "3 months", 6: "6 months", 12: "12 months", 0: "any time"}


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def content_security_policy(nonce: str) -> str:
    """Nothing but this page's own inline style: no script, no outside request of any kind."""
    return f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self' data:; form-action 'none'; base-uri 'none'"


def _document(title: str, nonce: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="referrer" content="no-referrer"><title>{_e(title)}</title>'
        f'<style nonce="{_e(nonce)}">{_CSS}</style></head><body>{body}</body></html>'
    )


def error_page(title: str, message: str, what_to_do: str, nonce: str) -> str:
    body = (
        "<header><h1>cml-cds · BCR::ABL1 course</h1></header><main>"
        f'<div class="alert" role="alert"><h2>{_e(title)}</h2><p>{_e(message)}</p><p>{_e(what_to_do)}</p></div>'
        "</main>"
    )
    return _document(f"cml-cds · {title}", nonce, body)


_STRONG = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")


def _markdown(text: str) -> str:
    """The little Markdown the cards' detail uses (**bold**, `code`), escaped first: nothing else is markup."""
    return _CODE.sub(r"<code>\1</code>", _STRONG.sub(r"<strong>\1</strong>", _e(text)))


def _detail(paragraphs: list[str]) -> str:
    """The card's reasoning: paragraphs, and `- ` items as lists."""
    out: list[str] = []
    items: list[str] = []
    for paragraph in paragraphs:
        if paragraph.startswith("- "):
            items.append(f"<li>{_markdown(paragraph[2:])}</li>")
            continue
        if items:
            out.append(f"<ul>{''.join(items)}</ul>")
            items = []
        out.append(f"<p>{_markdown(paragraph)}</p>")
    if items:
        out.append(f"<ul>{''.join(items)}</ul>")
    return "".join(out)


def _source(source: SourceView) -> str:
    label = _e(source.label) + ("" if source.verified else ' — <span class="unverified">unverified</span>')
    if source.url.startswith("https://"):
        return f'<li><a href="{_e(source.url)}" rel="noopener noreferrer" target="_blank">{label}</a></li>'
    return f"<li>{label}</li>"


def _finding(finding: FindingView) -> str:
    """What the card says up front (summary, "What to do"); why, the data, the sources and the rule ids
    collapsed below it, as the card's detail and extension hold them."""
    rules = "".join(
        f'<li><code class="rule">{_e(r.id)}</code> {_e(r.guideline)}: {_e(r.source)}'
        + ("" if r.verified else ' <span class="unverified">UNVERIFIED</span>')
        + "</li>"
        for r in finding.rules
    )
    evidence = "".join(f"<li>{_e(item)}</li>" for item in finding.evidence)
    sources = "".join(_source(source) for source in finding.sources)
    unverified = "" if finding.verified else ' <span class="unverified">unverified rule</span>'
    todo = (
        f'<p class="todo"><span class="todo-label">What to do:</span> {_markdown(finding.action)}</p>'
        if finding.action
        else ""
    )
    collapsed = (
        f"{_detail(finding.detail)}"
        + (f'<h3>Data used</h3><ul class="data">{evidence}</ul>' if evidence else "")
        + (f'<h3>Sources</h3><ul class="sources">{sources}</ul>' if sources else "")
        + f'<h3>Rules</h3><p class="finding-code">Finding <code>{_e(finding.code)}</code> '
        f"({_e(finding.guideline)})</p>" + (f'<ul class="rules">{rules}</ul>' if rules else "")
    )
    on_paper = "; ".join(_e(source.label) for source in finding.sources)  # <details> does not print
    return (
        f'<li class="{_e(finding.severity)}" data-code="{_e(finding.code)}"><span class="sev">{_e(finding.severity)}'
        f'</span><strong class="summary">{_e(finding.summary)}</strong>{unverified}{todo}'
        f'<details><summary>Why, data used and sources</summary><div class="why">{collapsed}</div></details>'
        + (f'<p class="print-sources" aria-hidden="true">Sources: {on_paper}</p>' if on_paper else "")
        + "</li>"
    )


def _legend() -> str:
    items = [
        ('<span class="swatch sw-detected"></span>', "result"),
        ('<span class="mark-undetectable">▽</span>', "undetectable, at its limit"),
        ('<span class="swatch sw-optimal"></span>', "ELN optimal"),
        ('<span class="swatch sw-warning"></span>', "ELN warning"),
        ('<span class="swatch sw-failure"></span>', "ELN failure"),
        ("▲", "KD variant"),
        ("○", "KD test, no mutation"),
        ("┆", "milestone (current line; faded: earlier lines)"),
        ("▲ ▼", "dose raised / lowered"),
    ]
    return '<ul class="legend">' + "".join(f"<li>{mark} {_e(text)}</li>" for mark, text in items) + "</ul>"


def _results_table(course: Course) -> str:
    rows = "".join(
        f'<tr data-taken="{p.taken}"><td class="date">{p.taken}</td><td>{_e(p.display)}'
        + (" (undetectable)" if p.undetectable else "")
        + f"</td><td>{_e(p.level or '—')}</td>"
        f"<td>{_e(_MILESTONE.get(p.milestone, '—') if p.milestone is not None else '—')}</td>"
        f'<td>{_e(p.zone or "—")}</td><td class="ref">{_e(p.reference)}</td></tr>'
        for p in course.results
    )
    return (
        '<section aria-labelledby="results-h"><h2 id="results-h">BCR::ABL1 results</h2>'
        '<table id="results-table"><thead><tr><th scope="col">Date</th><th scope="col">IS</th>'
        '<th scope="col">Level</th><th scope="col">Milestone</th><th scope="col">ELN zone</th>'
        f'<th scope="col">Record</th></tr></thead><tbody>{rows or "<tr><td colspan=6>No results</td></tr>"}'
        f"</tbody></table>{_print_results(course)}</section>"
    )


def _dose(step: DoseStep) -> str:
    return f"{step.start or '?'}: {step.dose}"


def _print_results(course: Course) -> str:
    """On paper the results go in columns, so a long course still fits the page (the table is for screens)."""
    items = "".join(
        f"<li>{p.taken} <strong>{_e(p.display)}</strong>"
        + (f" {_e(p.level)}" if p.level else "")
        + (f" · {_e(p.zone)}" if p.zone else "")
        + "</li>"
        for p in course.results
    )
    return f'<ul class="print-results" aria-hidden="true">{items}</ul>'


def _lines_table(course: Course) -> str:
    rows = "".join(
        f'<tr data-drug="{_e(line.drug)}"><td>{_e(line.drug)}{" (current)" if line.current else ""}</td>'
        f'<td class="date">{line.start or "?"}</td>'
        f'<td class="date">{line.end or ("ongoing" if line.active else "?")}</td>'
        f"<td>{'<br>'.join(_e(_dose(d)) for d in line.doses)}</td>"
        f"<td>{_e(line.stop_reason or '—')}</td></tr>"
        for line in course.lines
    )
    events = "".join(
        f"<tr><td>{_e(p.label)}</td><td>{p.start}</td><td>{p.end or 'ongoing'}</td><td></td><td></td></tr>"
        for p in course.tfr
    )
    if course.transplant:
        events += f"<tr><td>allogeneic SCT</td><td>{course.transplant}</td><td></td><td></td><td></td></tr>"
    return (
        '<section aria-labelledby="lines-h"><h2 id="lines-h">TKI lines, TFR, transplant</h2>'
        '<table id="lines-table"><thead><tr><th scope="col">Line</th><th scope="col">Start</th>'
        '<th scope="col">End</th><th scope="col">Doses</th><th scope="col">Stop reason</th></tr></thead>'
        f"<tbody>{(rows + events) or '<tr><td colspan=5>No TKI recorded</td></tr>'}</tbody></table></section>"
    )


def _kinase_table(course: Course) -> str:
    rows = "".join(
        f'<tr><td class="date">{k.taken}</td><td>{_e(", ".join(k.variants) or "no mutation detected")}</td>'
        f'<td>{_e(k.method or "—")}</td><td class="ref">{_e(k.reference)}</td></tr>'
        for k in course.kinase_domain
    )
    return (
        '<section aria-labelledby="kd-h"><h2 id="kd-h">Kinase-domain tests</h2>'
        '<table id="kd-table"><thead><tr><th scope="col">Date</th><th scope="col">Variants</th>'
        '<th scope="col">Method</th><th scope="col">Record</th></tr></thead>'
        f"<tbody>{rows or '<tr><td colspan=4>None recorded</td></tr>'}</tbody></table></section>"
    )


def _excluded(course: Course) -> str:
    items = "".join(
        f'<li><span class="ref">{_e(x.reference)}</span>: {_e(x.reason)}</li>' for x in course.excluded
    ) + "".join(f"<li>not available from the EHR: {_e(u)}</li>" for u in course.unavailable)
    return (
        '<section aria-labelledby="excluded-h" id="excluded"><h2 id="excluded-h">Excluded and unavailable</h2>'
        f"<ul>{items or '<li>Nothing was excluded.</li>'}</ul></section>"
    )


def _counted_from(course: Course) -> str:
    earlier = any(not span.current for span in course.milestones)
    past = " Earlier lines' windows, faded, are counted from each line's start." if earlier else ""
    if course.current_line_start is None:
        return f'<p class="note">No current TKI: no ELN milestones of a current line are shown.{past}</p>'
    return (
        f'<p class="note" id="milestones-from">ELN milestones of the current line counted from '
        f"{course.current_line_start}, as the service counts them for its cards.{past}</p>"
    )


def _header(course: Course, knowledge_version: str) -> str:
    """Who (the name, else the record's id), born when and how old, then what the page is."""
    who = (
        f'<span id="patient-name">{_e(course.name)}</span>'
        if course.name
        else f'<span id="patient-name" class="no-name">Patient {_e(course.patient)}</span>'
    )
    if course.birth_date is not None:
        age = f' · <span id="patient-age">{course.age} years</span>' if course.age is not None else ""
        born = f'<span class="born">born <span id="patient-birth">{course.birth_date}</span>{age}</span>'
    else:
        born = '<span class="born">birth date not recorded</span>'
    return (
        f'<header><h1 id="patient">{who} {born}</h1><p>BCR::ABL1 course as of {course.as_of} · cml-cds '
        f"knowledge {_e(knowledge_version)} · same algorithm as the CDS cards</p></header>"
    )


def course_page(course: Course, nonce: str, knowledge_version: str) -> str:
    findings = "".join(_finding(f) for f in course.findings) or "<li>No findings.</li>"
    body = (
        '<a class="skip" href="#tables">Skip to the tables</a>'
        f"{_header(course, knowledge_version)}"
        '<main><section class="chart-section" aria-labelledby="chart-h"><h2 id="chart-h">Course</h2>'
        f"{render_chart(course)}{_legend()}{_counted_from(course)}</section>"
        f'<section aria-labelledby="findings-h"><h2 id="findings-h">Findings</h2><ul class="findings" '
        f'id="findings">{findings}</ul></section>'
        f'<div class="tables" id="tables">{_results_table(course)}{_lines_table(course)}{_kinase_table(course)}'
        f"{_excluded(course)}</div></main>"
    )
    return _document(f"BCR::ABL1 course · {course.name or course.patient} · cml-cds", nonce, body)
