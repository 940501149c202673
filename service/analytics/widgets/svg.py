"""Server-drawn SVG: the trend chart of the iframe page and the badge, without any library.

Colours come from CSS classes (`d0`..`d5`, `bg`, `grid`, ...) so one drawing serves the light and
dark themes; the stylesheets that define them are static, which lets the CSP allow them by hash.
Every drawing carries a <title> and <desc> with the numbers, for screen readers and hover.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from typing import Literal

from .view import DimensionView, Lang, WidgetView, dimension_name, text

Size = Literal["s", "m", "l"]
Theme = Literal["auto", "light", "dark"]

CHART_SIZES: dict[str, tuple[int, int]] = {"s": (320, 150), "m": (480, 200), "l": (640, 260)}
BADGE_SCALE: dict[str, float] = {"s": 1.0, "m": 1.25, "l": 1.5}

ARROWS = {"up": "▲", "down": "▼", "no detectable change": "≈"}


def csp_hash(css: str) -> str:
    digest = hashlib.sha256(css.encode()).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _y(score: float, top: float, height: float) -> float:
    return round(top + height * (1 - score / 100), 1)


def _spread(labels: list[tuple[float, str, int]], gap: float, lo: float, hi: float) -> list[float]:
    """Nudge end labels apart vertically so two close scores stay readable."""
    ys = [y for y, _, _ in labels]
    for i in range(1, len(ys)):
        ys[i] = max(ys[i], ys[i - 1] + gap)
    overflow = ys[-1] - hi if ys else 0
    if overflow > 0:
        ys = [y - overflow for y in ys]
    return [max(lo, y) for y in ys]


def chart_svg(view: WidgetView, size: Size, ids: str = "c") -> str:
    """The trend chart: one line per dimension over the recent rounds, latest scores at the end."""
    width, height = CHART_SIZES[size]
    lang: Lang = view.lang
    left, right, top, bottom = 30, 44, 10, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(view.waves), 1)
    step = plot_w / (n - 1) if n > 1 else 0.0

    def x(i: int) -> float:
        return round(left + (i * step if n > 1 else plot_w / 2), 1)

    dims = ", ".join(d.name for d in view.dimensions)
    title = text(lang, "chart_title", team=view.team, n=len(view.waves))
    desc = text(lang, "chart_desc", dims=dims) + " " + alt_text(view)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{ids}-t {ids}-d" tabindex="0" '
        f'class="chart" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{ids}-t">{_e(title)}</title><desc id="{ids}-d">{_e(desc)}</desc>',
    ]
    for level in (0, 25, 50, 75, 100):
        y = _y(level, top, plot_h)
        out.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y}" y2="{y}"/>')
        if level % 50 == 0:
            out.append(
                f'<text class="axis" x="{left - 6}" y="{y + 4}" text-anchor="end">{level}</text>'
            )
    if view.waves:
        out.append(
            f'<text class="axis" x="{x(0)}" y="{height - 6}" '
            f'text-anchor="{"start" if n > 1 else "middle"}">{_e(view.waves[0])}</text>'
        )
        if n > 1:
            out.append(
                f'<text class="axis" x="{x(n - 1)}" y="{height - 6}" text-anchor="end">'
                f"{_e(view.waves[-1])}</text>"
            )
    ends: list[tuple[float, str, int]] = []
    for index, dim in enumerate(view.dimensions):
        cls = f"d{index % 6}"
        out.append(f'<g class="{cls}">')
        segment: list[str] = []
        for i, point in enumerate(dim.points):
            if point.score is None:
                if len(segment) > 1:
                    out.append(f'<polyline class="line" points="{" ".join(segment)}"/>')
                segment = []
                continue
            segment.append(f"{x(i)},{_y(point.score, top, plot_h)}")
        if len(segment) > 1:
            out.append(f'<polyline class="line" points="{" ".join(segment)}"/>')
        for i, point in enumerate(dim.points):
            if point.score is None:
                continue
            label = f"{dim.name}, {point.wave}: {point.score}"
            out.append(
                f'<circle class="dot" cx="{x(i)}" cy="{_y(point.score, top, plot_h)}" r="3">'
                f"<title>{_e(label)}</title></circle>"
            )
        out.append("</g>")
        if dim.latest is not None:
            ends.append((_y(dim.latest, top, plot_h) + 4, cls, dim.latest))
    ends.sort()
    for y, (_, cls, score) in zip(_spread(ends, 12, top + 4, top + plot_h + 4), ends, strict=True):
        out.append(f'<text class="end {cls}" x="{width - right + 6}" y="{y}">{score}</text>')
    out.append("</svg>")
    return "".join(out)


def change_label(dim: DimensionView) -> str:
    """`▲ 4`, `▼ 3` or `≈` (no detectable change: the delta is in the text alternative)."""
    if dim.change is None or dim.delta is None:
        return ""
    if dim.change == "no detectable change":
        return ARROWS[dim.change]
    return f"{ARROWS[dim.change]} {abs(dim.delta)}"


def alt_text(view: WidgetView) -> str:
    """The numbers in words: what a screen reader says and what the chart's <desc> holds."""
    lang = view.lang
    if view.status != "ok":
        return view.message or ""
    parts = []
    for dim in view.dimensions:
        if dim.latest is None:
            parts.append(f"{dim.name}: {dim.note or text(lang, 'no_score')}")
            continue
        change = ""
        if dim.change and dim.delta is not None:
            change = f" ({dim.change_text}, {dim.delta:+d})"
        parts.append(f"{dim.name}: {dim.latest}{change}")
    if view.participation:
        parts.append(f"{text(lang, 'participation')}: {view.participation}")
    return "; ".join(parts) + "."


# --- badge -------------------------------------------------------------------------------------

BADGE_CSS = (
    ".l{fill:#555}.v{fill:#1f6feb}.s{fill:#8b949e}.x{fill:#6e7781}"
    "text{fill:#fff;font:11px Verdana,'DejaVu Sans',sans-serif}"
    "@media (prefers-color-scheme:dark){.auto .l{fill:#30363d}.auto .v{fill:#388bfd}"
    ".auto .s,.auto .x{fill:#484f58}}"
    ".dark .l{fill:#30363d}.dark .v{fill:#388bfd}.dark .s,.dark .x{fill:#484f58}"
)
BADGE_CSP = f"default-src 'none'; style-src {csp_hash(BADGE_CSS)}; frame-ancestors 'none'"

_NARROW = set("ijlI.,:;'!|() ")
_MID = set("frtJ-")
_WIDE = set("mwMW▲▼≈%")


def text_width(value: str) -> float:
    """A close estimate of the width of 11px Verdana; textLength pins the rendering to it."""
    total = 0.0
    for ch in value:
        if ch in _NARROW:
            total += 3.6
        elif ch in _MID:
            total += 4.6
        elif ch in _WIDE or ch.isupper():
            total += 8.8
        else:
            total += 6.9
    return round(total, 1)


def badge_svg(
    label: str, value: str, *, kind: Literal["v", "s", "x"], theme: Theme, size: Size, title: str
) -> str:
    """A two-part badge: `label | value`. kind v = a score, s = suppressed, x = unavailable."""
    pad = 6
    lw = text_width(label) + 2 * pad
    vw = text_width(value) + 2 * pad
    width, height = round(lw + vw, 1), 20
    scale = BADGE_SCALE[size]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{round(width * scale, 1)}" '
        f'height="{round(height * scale, 1)}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{_e(title)}" class="{theme}"><title>{_e(title)}</title>'
        f"<desc>{_e(title)}</desc><style>{BADGE_CSS}</style>"
        f'<rect class="l" width="{lw}" height="{height}" rx="3"/>'
        f'<rect class="{kind}" x="{lw}" width="{vw}" height="{height}" rx="3"/>'
        f'<rect class="{kind}" x="{lw}" width="4" height="{height}"/>'
        f'<text x="{pad}" y="14" textLength="{text_width(label)}">{_e(label)}</text>'
        f'<text x="{lw + pad}" y="14" textLength="{text_width(value)}">{_e(value)}</text>'
        "</svg>"
    )


def score_badge(view: WidgetView, dimension: str, theme: Theme, size: Size) -> str:
    lang = view.lang
    dim = next((d for d in view.dimensions if d.key == dimension), None)
    label = dim.name if dim else dimension_name(dimension, lang)
    if view.status != "ok" or dim is None or dim.latest is None:
        reason = (dim.note if dim else None) or view.message or text(lang, "few", k=view.k)
        return badge_svg(
            label, reason, kind="s", theme=theme, size=size, title=f"{label}: {reason}"
        )
    value = f"{dim.latest} {change_label(dim)}".strip()
    title = f"{label}: {dim.latest}"
    if dim.change and dim.delta is not None:
        title += f" ({dim.change_text}, {dim.delta:+d})"
    return badge_svg(label, value, kind="v", theme=theme, size=size, title=title)


def unavailable_badge(lang: Lang, theme: Theme = "auto", size: Size = "s") -> str:
    """The same neutral image for every bad token or parameter: it tells nothing about a team."""
    short = text(lang, "unavailable_short")
    return badge_svg(
        "candor", short, kind="x", theme=theme, size=size, title=text(lang, "unavailable")
    )
