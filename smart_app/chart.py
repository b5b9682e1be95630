"""The course as an SVG, rendered on the server.

Why server-side SVG rather than a charting library in the browser: the data and the findings come from
the server anyway (one algorithm); there is no script to vendor, pin, audit or keep off a CDN; the chart
prints exactly as shown; every mark carries its text (`<title>`, `aria-label`) for screen readers and
keyboard users; and tests can read the same markup the clinician sees. Colours are Okabe–Ito
(colour-blind safe) and never the only cue: undetectable results have their own shape, zones and drugs
are written out, and the table below the chart repeats everything.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from html import escape

from .view import Course, DoseStep, Line, ResultPoint

__all__ = ["render_chart"]

WIDTH = 960
_LEFT, _RIGHT, _TOP = 64, 120, 30
_PLOT_H = 300
_LANE_H = 26
_TKI_H = 34  # two rows: the drug (and its stop), then the dose of each step
_TKI_Y = _TOP + _PLOT_H + 6
_EVENTS_Y = _TKI_Y + _TKI_H
_KD_Y = _EVENTS_Y + _LANE_H
_LANES_END = _KD_Y + _LANE_H
_PLOT_W = WIDTH - _LEFT - _RIGHT
_MILESTONE_LABEL = {3: "3 mo", 6: "6 mo", 12: "12 mo", 0: "any time"}
_CHANGE_MARK = {"increase": "▲ ", "decrease": "▼ "}
_CHANGE_WORD = {"increase": "raised", "decrease": "lowered"}


def _width(text: str, size: float) -> float:
    """A generous estimate of the drawn width of `text` at font size `size` (sans-serif)."""
    return len(text) * size * 0.6


def _e(text: object) -> str:
    return escape(str(text), quote=True)


class _Scale:
    """Date → x and percent → y (log10), over the course's own range."""

    def __init__(self, course: Course) -> None:
        days = [r.taken for r in course.results] + [k.taken for k in course.kinase_domain] + [course.as_of]
        days += [d for line in course.lines for d in (line.start, line.end) if d is not None]
        if course.transplant:
            days.append(course.transplant)
        self.t0 = min(days) - timedelta(days=30)
        self.t1 = max(days) + timedelta(days=30)
        values = [r.percent for r in course.results if r.percent > 0]
        levels = [lv.percent for lv in course.levels]
        self.top = 10 ** math.ceil(math.log10(max([100.0, *values])))
        self.bottom = 10 ** math.floor(math.log10(min([0.001, *levels, *values])))

    def x(self, day: date) -> float:
        span = max((self.t1 - self.t0).days, 1)
        return round(_LEFT + _PLOT_W * (day - self.t0).days / span, 1)

    def y(self, percent: float) -> float:
        value = min(max(percent, self.bottom), self.top)
        fraction = (math.log10(self.top) - math.log10(value)) / (math.log10(self.top) - math.log10(self.bottom))
        return round(_TOP + _PLOT_H * fraction, 1)


def _axes(s: _Scale) -> list[str]:
    out = [f'<rect class="plot" x="{_LEFT}" y="{_TOP}" width="{_PLOT_W}" height="{_PLOT_H}"/>']
    decade = s.top
    while decade >= s.bottom:
        y = s.y(decade)
        out.append(f'<line class="grid" x1="{_LEFT}" x2="{_LEFT + _PLOT_W}" y1="{y}" y2="{y}"/>')
        out.append(f'<text class="tick" x="{_LEFT - 6}" y="{y + 4}" text-anchor="end">{decade:g}%</text>')
        decade /= 10
    bottom = _LANES_END + 8
    years = range(s.t0.year + 1, s.t1.year + 1)
    step = 1 if len(years) <= 12 else 2
    for year in years[::step]:
        x = s.x(date(year, 1, 1))
        out.append(f'<line class="grid year" x1="{x}" x2="{x}" y1="{_TOP}" y2="{bottom - 4}"/>')
        out.append(f'<text class="tick" x="{x}" y="{bottom + 10}" text-anchor="middle">{year}</text>')
    out.append(
        f'<text class="axis-title" x="14" y="{_TOP + _PLOT_H / 2}" '
        f'transform="rotate(-90 14 {_TOP + _PLOT_H / 2})" text-anchor="middle">BCR::ABL1 IS (%)</text>'
    )
    return out


def _zones(course: Course, s: _Scale) -> list[str]:
    """The ELN bands of each milestone, shaded over the days that milestone is in force: the current line's
    as the cards judge by them, an earlier line's faded (class `past`)."""
    out: list[str] = []
    labelled: list[float] = []
    for span in course.milestones:
        x0, x1 = s.x(span.start), s.x(span.end or s.t1)
        past = "" if span.current else " past"
        drug = course.lines[span.line].drug if span.line < len(course.lines) else ""
        whose = "current line" if span.current else f"earlier line, {drug}"
        for band in (z for z in course.zones if z.months == span.months):
            y0 = s.y(band.at_most if band.at_most is not None else s.top)
            y1 = s.y(band.above if band.above is not None else s.bottom)
            out.append(
                f'<rect class="zone zone-{_e(band.response)}{past}" data-months="{span.months}" '
                f'data-line="{span.line}" x="{x0}" y="{y0}" width="{max(x1 - x0, 0.5):.1f}" '
                f'height="{max(y1 - y0, 0):.1f}"><title>{_e(_MILESTONE_LABEL[span.months])} ({_e(whose)}): '
                f"{_e(band.response)} ({_e(band.rule)})</title></rect>"
            )
        label = _MILESTONE_LABEL[span.months]
        if all(abs(x0 - other) >= _width(label, 10) + 4 for other in labelled):  # never two labels on one another
            labelled.append(x0)
            out.append(f'<text class="milestone-label{past}" x="{x0 + 3}" y="{_TOP - 6}">{_e(label)}</text>')
        if span.milestone_date is not None:
            x = s.x(span.milestone_date)
            out.append(
                f'<line class="milestone{past}" data-months="{span.months}" data-line="{span.line}" x1="{x}" '
                f'x2="{x}" y1="{_TOP}" y2="{_TOP + _PLOT_H}"><title>ELN {label} milestone ({_e(whose)}), '
                f"{span.milestone_date}</title></line>"
            )
    return out


def _levels(course: Course, s: _Scale) -> list[str]:
    out: list[str] = []
    for level in course.levels:
        y = s.y(level.percent)
        out.append(
            f'<line class="level" data-percent="{level.percent:g}" x1="{_LEFT}" x2="{_LEFT + _PLOT_W}" '
            f'y1="{y}" y2="{y}"/><text class="level-label" x="{_LEFT + _PLOT_W + 6}" y="{y + 4}">'
            f"{_e(level.label)}</text>"
        )
    return out


def _point_label(point: ResultPoint) -> str:
    parts = [f"{point.taken}: {point.display}"]
    if point.undetectable:
        parts.append("undetectable, drawn at its limit" if point.percent > 0 else "undetectable, limit not reported")
    if point.level:
        parts.append(point.level)
    if point.zone:
        parts.append(f"ELN {point.zone} at {_MILESTONE_LABEL.get(point.milestone or 0, '')}")
    return "; ".join(parts)


def _results(course: Course, s: _Scale) -> list[str]:
    out: list[str] = []
    path = " ".join(f"{s.x(p.taken)},{s.y(p.percent if p.percent > 0 else s.bottom)}" for p in course.results)
    if len(course.results) > 1:
        out.append(f'<polyline class="course" points="{path}"/>')
    for point in course.results:
        x, y = s.x(point.taken), s.y(point.percent if point.percent > 0 else s.bottom)
        zone = f" zone-{_e(point.zone)}" if point.zone else ""
        label = _e(_point_label(point))
        attrs = (
            f'tabindex="0" role="img" aria-label="{label}" data-taken="{point.taken}" '
            f'data-percent="{point.percent:g}" data-undetectable="{str(point.undetectable).lower()}"'
        )
        if point.undetectable:
            shape = f'<path d="M{x - 6},{y - 5} L{x + 6},{y - 5} L{x},{y + 6} Z"/>'
            out.append(f'<g class="result undetectable{zone}" {attrs}><title>{label}</title>{shape}</g>')
        else:
            out.append(f'<g class="result{zone}" {attrs}><title>{label}</title><circle cx="{x}" cy="{y}" r="5"/></g>')
    return out


def _line_label(line: Line) -> str:
    end = line.end.isoformat() if line.end else "ongoing"
    stop = f", stopped: {line.stop_reason}" if line.stop_reason else ""
    doses = "; ".join(f"{d.start or '?'}: {d.label}" for d in line.doses)
    return f"{line.drug} {line.start or '?'} – {end}{stop} ({doses})"


def _steps(line: Line) -> list[DoseStep]:
    """The steps the band shows: a record repeating the dose before it is not a change."""
    steps: list[DoseStep] = []
    for step in line.doses:
        if steps and (step.start is None or step.label == steps[-1].label):
            continue
        steps.append(step)
    return steps


def _band(line: Line, course: Course, s: _Scale) -> list[str]:
    """One line: the drug (and its stop) on the first row, each dose on the second, a mark at each change.
    Each text is clipped to its own part of the band (a nested svg): a short step cuts its label, never
    overprints the next; the full text is in the line's label and in the table."""
    y, height = _TKI_Y, _TKI_H - 6
    x0 = s.x(line.start or s.t0)
    x1 = max(s.x(line.end or course.as_of), x0 + 2)
    out = [f'<rect x="{x0}" y="{y}" width="{x1 - x0:.1f}" height="{height}" rx="3"/>']
    stop = f"✕ {line.stop_reason}" if line.stop_reason else ""
    if stop and _width(line.drug, 11) + _width(stop, 10) + 12 > x1 - x0:
        stop = "✕"
    drug_room = max(x1 - x0 - (_width(stop, 10) + 6 if stop else 0), 0)
    out.append(
        f'<svg class="clip" x="{x0}" y="{y}" width="{drug_room:.1f}" height="{height}">'
        f'<text class="line-label" x="4" y="12">{_e(line.drug)}</text></svg>'
    )
    if stop:
        out.append(f'<text class="stop" x="{x1 - 4}" y="{y + 12}" text-anchor="end">{_e(stop)}</text>')
    steps = _steps(line)
    for index, step in enumerate(steps):
        sx0 = x0 if index == 0 or step.start is None else s.x(step.start)
        following = steps[index + 1].start if index + 1 < len(steps) else None
        sx1 = s.x(following) if following is not None else x1
        mark = _CHANGE_MARK.get(step.change or "", "") if index else ""
        out.append(
            f'<svg class="dose-step clip" x="{sx0}" y="{y}" width="{max(sx1 - sx0, 0):.1f}" height="{height}" '
            f'data-dose="{_e(step.label)}"><text class="dose-label" x="4" y="24">{_e(mark + step.label)}</text></svg>'
        )
        if index:
            before = steps[index - 1]
            word = _CHANGE_WORD.get(step.change or "", "changed")
            out.append(
                f'<line class="dose-change" x1="{sx0}" x2="{sx0}" y1="{y - 2}" y2="{y + height + 2}">'
                f"<title>{_e(line.drug)} dose {word} {step.start}: {_e(before.label)} → {_e(step.label)}</title>"
                "</line>"
            )
    return out


def _lines(course: Course, s: _Scale) -> list[str]:
    out = [f'<text class="lane-label" x="{_LEFT - 6}" y="{_TKI_Y + 18}" text-anchor="end">TKI</text>']
    for line in course.lines:
        label = _e(_line_label(line))
        current = " current" if line.current else ""
        out.append(
            f'<g class="line drug-{_e(line.drug)}{current}" tabindex="0" role="img" aria-label="{label}" '
            f'data-drug="{_e(line.drug)}"><title>{label}</title>{"".join(_band(line, course, s))}</g>'
        )
    return out


def _events(course: Course, s: _Scale) -> list[str]:
    y = _EVENTS_Y
    out = [f'<text class="lane-label" x="{_LEFT - 6}" y="{y + 14}" text-anchor="end">TFR/SCT</text>']
    for period in course.tfr:
        x0, x1 = s.x(period.start), s.x(period.end or course.as_of)
        label = _e(f"{period.label}: {period.start} – {period.end or 'ongoing'}")
        out.append(
            f'<g class="tfr" tabindex="0" role="img" aria-label="{label}"><title>{label}</title>'
            f'<rect x="{x0}" y="{y}" width="{max(x1 - x0, 2):.1f}" height="{_LANE_H - 8}"/>'
            f'<text x="{x0 + 4}" y="{y + 13}">TFR</text></g>'
        )
    if course.transplant is not None:
        x = s.x(course.transplant)
        label = _e(f"allogeneic stem cell transplant {course.transplant}")
        out.append(
            f'<g class="transplant" tabindex="0" role="img" aria-label="{label}"><title>{label}</title>'
            f'<line x1="{x}" x2="{x}" y1="{_TOP}" y2="{y + _LANE_H - 8}"/>'
            f'<path d="M{x},{y} l7,9 l-7,9 l-7,-9 Z"/><text x="{x + 9}" y="{y + 13}">allo-SCT</text></g>'
        )
    return out


def _kinase(course: Course, s: _Scale) -> list[str]:
    y = _KD_Y
    out = [f'<text class="lane-label" x="{_LEFT - 6}" y="{y + 14}" text-anchor="end">KD</text>']
    for test in course.kinase_domain:
        x = s.x(test.taken)
        found = ", ".join(test.variants)
        label = _e(f"kinase domain {test.taken}: {found or 'no mutation detected'}")
        if test.variants:
            mark = f'<path d="M{x},{y + 2} l7,13 l-14,0 Z"/><text x="{x + 9}" y="{y + 14}">{_e(found)}</text>'
            css = "kd variant"
        else:
            mark = f'<circle cx="{x}" cy="{y + 9}" r="6"/><text x="{x + 9}" y="{y + 14}">none</text>'
            css = "kd negative"
        out.append(f'<g class="{css}" tabindex="0" role="img" aria-label="{label}"><title>{label}</title>{mark}</g>')
    return out


def render_chart(course: Course) -> str:
    """The whole chart; `course.results` may be empty (the axes and lines are still drawn)."""
    s = _Scale(course)
    height = _LANES_END + 24
    body = [
        *_axes(s),
        *_zones(course, s),
        *_levels(course, s),
        *_lines(course, s),
        *_events(course, s),
        *_kinase(course, s),
        *_results(course, s),
    ]
    today = s.x(course.as_of)
    body.append(
        f'<line class="today" x1="{today}" x2="{today}" y1="{_TOP}" y2="{_TOP + _PLOT_H}">'
        f"<title>today {course.as_of}</title></line>"
    )
    return (
        f'<svg id="course-chart" class="chart" viewBox="0 0 {WIDTH} {height}" role="group" '
        'aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">'
        '<title id="chart-title">BCR::ABL1 (IS, log scale) over time with response levels, ELN milestones of '
        "every line (earlier lines faded), TKI lines with their doses, TFR, transplant and kinase-domain "
        "results</title>" + "".join(body) + "</svg>"
    )
