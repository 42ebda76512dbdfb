"""Server-rendered SVG charts: no script, no CDN, readable offline and in a screenshot.

Every mark carries its data (`data-series`, `data-x`, `data-y`, `data-label`, `data-value`) and a
`<title>` tooltip, so a person can hover for the number and a test can read what was drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#7f7f7f", "#bcbd22")


def _num(v: float) -> str:
    return f"{v:.6g}"


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def _ticks(top: float, n: int = 4) -> list[float]:
    if top <= 0:
        return [0.0]
    step = top / n
    magnitude = 10 ** max(0, len(str(int(step))) - 1)
    step = max(1.0, round(step / magnitude) * magnitude) if top >= n else top / n
    out, v = [], 0.0
    while v <= top * 1.0001:
        out.append(v)
        v += step
    return out


def line_chart(
    series: Mapping[str, Mapping[float, float]], *, title: str, y_label: str = "", width: int = 720,
    height: int = 260, chart_id: str = "",
) -> str:
    """One line per series over time (x: unix seconds). An empty chart says so instead of drawing axes."""
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart line" id="{escape(chart_id)}" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" aria-label="{escape(title)}">'
            f"<title>{escape(title)}</title>")
    xs = sorted({x for pts in series.values() for x in pts})
    if not xs:
        return head + f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle" class="empty">no data yet</text></svg>'
    left, right, top, bottom = 48, 150, 12, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    y_max = max((y for pts in series.values() for y in pts.values()), default=0.0) or 1.0
    x0, x1 = xs[0], xs[-1]

    def px(x: float) -> float:
        return left + (plot_w / 2 if x1 == x0 else (x - x0) / (x1 - x0) * plot_w)

    def py(y: float) -> float:
        return top + plot_h - y / y_max * plot_h

    parts = [head]
    for t in _ticks(y_max):
        parts.append(f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{_num(py(t))}" y2="{_num(py(t))}"/>'
                     f'<text class="tick" x="{left - 6}" y="{_num(py(t) + 4)}" text-anchor="end">{_num(t)}</text>')
    for x in (xs[0], xs[len(xs) // 2], xs[-1]) if len(xs) > 2 else xs:
        parts.append(f'<text class="tick" x="{_num(px(x))}" y="{height - 12}" text-anchor="middle">{_day(x)}</text>')
    if y_label:
        parts.append(f'<text class="axis" x="12" y="{top + plot_h / 2}" transform="rotate(-90 12 {top + plot_h / 2})" '
                     f'text-anchor="middle">{escape(y_label)}</text>')
    for i, (name, pts) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        ordered = sorted(pts.items())
        path = " ".join(f"{'M' if j == 0 else 'L'}{_num(px(x))},{_num(py(y))}" for j, (x, y) in enumerate(ordered))
        parts.append(f'<g class="series" data-series="{escape(name)}"><path d="{path}" stroke="{color}" fill="none" '
                     f'stroke-width="2"/>')
        for x, y in ordered:
            parts.append(f'<circle cx="{_num(px(x))}" cy="{_num(py(y))}" r="3" fill="{color}" data-x="{_day(x)}" '
                         f'data-y="{_num(y)}"><title>{escape(name)} {_day(x)}: {_num(y)}</title></circle>')
        parts.append("</g>")
        ly = top + 14 + i * 18
        parts.append(f'<rect x="{width - right + 12}" y="{ly - 9}" width="10" height="10" fill="{color}"/>'
                     f'<text class="legend" x="{width - right + 28}" y="{ly}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    items: Sequence[tuple[str, float]], *, title: str, width: int = 720, unit: str = "", chart_id: str = "",
    target: float | None = None, target_label: str = "", value_text: Sequence[str] | None = None,
) -> str:
    """Horizontal bars, one per item; an optional target drawn as a dashed line."""
    bar_h, gap, left, right = 18, 8, 160, 90
    height = max(40, len(items) * (bar_h + gap) + 30)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart bar" id="{escape(chart_id)}" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" aria-label="{escape(title)}">'
            f"<title>{escape(title)}</title>")
    if not items:
        return head + f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle" class="empty">no data yet</text></svg>'
    top_value = max([v for _, v in items] + ([target] if target else [])) or 1.0
    plot_w = width - left - right
    parts = [head]
    for i, (label, value) in enumerate(items):
        y = 10 + i * (bar_h + gap)
        w = value / top_value * plot_w
        shown = value_text[i] if value_text else f"{_num(value)}{unit}"
        parts.append(f'<g class="bar" data-label="{escape(label)}" data-value="{_num(value)}">'
                     f'<text class="label" x="{left - 8}" y="{y + 13}" text-anchor="end">{escape(label)}</text>'
                     f'<rect x="{left}" y="{y}" width="{_num(max(w, 1))}" height="{bar_h}" fill="{PALETTE[0]}">'
                     f"<title>{escape(label)}: {escape(shown)}</title></rect>"
                     f'<text class="value" x="{_num(left + max(w, 1) + 6)}" y="{y + 13}">{escape(shown)}</text></g>')
    if target:
        tx = left + target / top_value * plot_w
        parts.append(f'<line class="target" x1="{_num(tx)}" x2="{_num(tx)}" y1="4" y2="{height - 18}" '
                     f'stroke-dasharray="4 3"/><text class="tick" x="{_num(tx)}" y="{height - 4}" '
                     f'text-anchor="middle">{escape(target_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
