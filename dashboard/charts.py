"""Server-side SVG for the dashboard: a progress bar with the target's mark, and a bar chart of
a target's figure over periods.  Plain SVG attributes (no inline styles, no script), so the
strict Content-Security-Policy holds and nothing is fetched from the network.

Bars scale to 100 for a "%" target, else to the larger of the target and the figures.
"""
from __future__ import annotations

from typing import Optional, Sequence

from markupsafe import Markup, escape


def _scale(values: Sequence[Optional[float]], target: float, rate: bool) -> float:
    if rate:
        return 100.0
    top = max([target, *[v for v in values if v is not None]] or [1.0])
    return top * 1.1 if top > 0 else 1.0


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def progress_bar(value: Optional[float], target: float, rate: bool, state: str, label: str) -> Markup:
    """A 100 % wide bar: filled to ``value``, a dark mark at ``target``; ``state`` is a CSS class
    (dat / chua-dat / chua-bao-cao) colouring the fill."""
    top = _scale([value], target, rate)
    width = 0.0 if value is None else max(0.0, min(value / top, 1.0)) * 100
    mark = max(0.0, min(target / top, 1.0)) * 100
    return Markup(
        f'<svg class="bar {escape(state)}" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" '
        f'aria-label="{escape(label)}"><rect class="track" x="0" y="0" width="100" height="10"/>'
        f'<rect class="fill" x="0" y="0" width="{_num(width)}" height="10"/>'
        f'<rect class="goal" x="{_num(max(mark - 0.4, 0))}" y="0" width="0.8" height="10"/></svg>')


def period_chart(points: Sequence[tuple[str, Optional[float], str]], target: float, rate: bool, title: str) -> Markup:
    """Bars per period (label, figure or None, shown text), a dashed line at the target."""
    if not points:
        return Markup("")
    width, height, left, bottom, top_pad = 60 * len(points) + 50, 150, 40, 30, 10
    plot_h = height - bottom - top_pad
    scale = _scale([v for _, v, _ in points], target, rate)

    def y(v: float) -> float:
        return top_pad + plot_h * (1 - max(0.0, min(v / scale, 1.0)))

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<line class="axis" x1="{left}" y1="{top_pad}" x2="{left}" y2="{height - bottom}"/>',
             f'<line class="axis" x1="{left}" y1="{height - bottom}" x2="{width - 5}" y2="{height - bottom}"/>',
             f'<text class="tick" x="{left - 4}" y="{top_pad + 4}" text-anchor="end">{escape(_num(scale))}</text>',
             f'<text class="tick" x="{left - 4}" y="{height - bottom}" text-anchor="end">0</text>']
    for i, (label, value, shown) in enumerate(points):
        x = left + 10 + 60 * i
        if value is None:
            parts.append(f'<text class="none" x="{x + 20}" y="{height - bottom - 4}" text-anchor="middle">–</text>')
        else:
            parts.append(f'<rect class="col" x="{x}" y="{_num(y(value))}" width="40" '
                         f'height="{_num(height - bottom - y(value))}"><title>{escape(label)}: {escape(shown)}</title></rect>')
            parts.append(f'<text class="val" x="{x + 20}" y="{_num(max(y(value) - 3, 9))}" '
                         f'text-anchor="middle">{escape(shown)}</text>')
        parts.append(f'<text class="tick" x="{x + 20}" y="{height - bottom + 14}" text-anchor="middle">'
                     f'{escape(label)}</text>')
    parts.append(f'<line class="goal" x1="{left}" y1="{_num(y(target))}" x2="{width - 5}" y2="{_num(y(target))}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


__all__ = ["progress_bar", "period_chart"]
