"""Server-drawn SVG for the team page: one chart per dimension, its interval drawn as a band.

No library and no script: a <svg> with a <title> and <desc> (read by screen readers; the page
puts the same numbers in a table next to it), styled only by classes from console.css, so the
page's CSP needs no inline style. Hidden points are drawn as hollow marks on the base line with
their reason as a tooltip; a dashed line marks each focus the team agreed.
"""

from __future__ import annotations

from datetime import date
from html import escape

import msgspec

from ..guard import Cell

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 36, 24, 12, 30


class ChartPoint(msgspec.Struct, frozen=True):
    label: str  # short axis label of the round
    day: date  # when the round closed (places focus markers between rounds)
    cell: Cell
    note: str  # what the point says, in words (its tooltip)


class Marker(msgspec.Struct, frozen=True):
    day: date
    note: str


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _y(score: float) -> float:
    return round(TOP + (HEIGHT - TOP - BOTTOM) * (1 - score / 100), 1)


def _xs(n: int) -> list[float]:
    plot = WIDTH - LEFT - RIGHT
    if n <= 1:
        return [LEFT + plot / 2] * n
    return [round(LEFT + i * plot / (n - 1), 1) for i in range(n)]


def marker_x(day: date, points: list[ChartPoint], xs: list[float]) -> float:
    """Where a date falls on the axis: between the rounds that closed around it."""
    if not points:
        return LEFT
    if day <= points[0].day:
        return xs[0]
    for (a, xa), (b, xb) in zip(
        zip(points, xs, strict=True), zip(points[1:], xs[1:], strict=True), strict=False
    ):
        if a.day <= day <= b.day:
            span = (b.day - a.day).days or 1
            return round(xa + (xb - xa) * (day - a.day).days / span, 1)
    return min(WIDTH - RIGHT / 2, xs[-1] + 12)


def _runs(points: list[ChartPoint]) -> list[list[int]]:
    """Indexes of consecutive published points: each run gets its own line and band."""
    runs: list[list[int]] = []
    current: list[int] = []
    for i, p in enumerate(points):
        if p.cell.published and p.cell.score is not None:
            current.append(i)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def trend_svg(
    points: list[ChartPoint], markers: list[Marker], *, title: str, desc: str, ids: str
) -> str:
    xs = _xs(len(points))
    base = _y(0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" aria-labelledby="{ids}-t {ids}-d" focusable="false">',
        f'<title id="{ids}-t">{_e(title)}</title><desc id="{ids}-d">{_e(desc)}</desc>',
    ]
    for level in (0, 25, 50, 75, 100):
        y = _y(level)
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}"/>')
        if level % 50 == 0:
            out.append(
                f'<text class="axis" x="{LEFT - 6}" y="{y + 4}" text-anchor="end">{level}</text>'
            )
    step = max(1, round(len(points) / 8))
    for i, p in enumerate(points):
        if i % step == 0 or i == len(points) - 1:
            out.append(
                f'<text class="axis" x="{xs[i]}" y="{HEIGHT - 10}" text-anchor="middle">'
                f"{_e(p.label)}</text>"
            )
    for run in _runs(points):
        cells = [points[i].cell for i in run]
        if all(c.score_ci is not None for c in cells):
            upper = [
                f"{xs[i]},{_y(c.score_ci.high)}"
                for i, c in zip(run, cells, strict=True)
                if c.score_ci
            ]
            lower = [
                f"{xs[i]},{_y(c.score_ci.low)}"
                for i, c in zip(run, cells, strict=True)
                if c.score_ci
            ]
            if len(run) == 1:
                i, c = run[0], cells[0]
                assert c.score_ci is not None
                out.append(
                    f'<rect class="band" x="{xs[i] - 4}" y="{_y(c.score_ci.high)}" width="8" '
                    f'height="{round(_y(c.score_ci.low) - _y(c.score_ci.high), 1)}"/>'
                )
            else:
                out.append(f'<polygon class="band" points="{" ".join(upper + lower[::-1])}"/>')
        if len(run) > 1:
            line = " ".join(f"{xs[i]},{_y(points[i].cell.score or 0)}" for i in run)
            out.append(f'<polyline class="line" points="{line}"/>')
    for i, p in enumerate(points):
        if p.cell.published and p.cell.score is not None:
            out.append(
                f'<circle class="dot" cx="{xs[i]}" cy="{_y(p.cell.score)}" r="3.5">'
                f"<title>{_e(p.note)}</title></circle>"
            )
        else:
            out.append(
                f'<circle class="gap" cx="{xs[i]}" cy="{base - 6}" r="4">'
                f"<title>{_e(p.note)}</title></circle>"
            )
    for m in markers:
        x = marker_x(m.day, points, xs)
        out.append(
            f'<g class="focus"><line x1="{x}" x2="{x}" y1="{TOP}" y2="{base}"/>'
            f'<path d="M{x},{TOP} l9,4 l-9,4 z"/><title>{_e(m.note)}</title></g>'
        )
    out.append("</svg>")
    return "".join(out)
