"""Where a widget's numbers come from: `analytics.trends.team_trend()` and nothing else.

`view_from_trend()` turns the guarded `TeamTrend` into a `WidgetView`: closed waves only (an
open wave has nothing to show yet), dimension scores rounded to whole points, the latest round's
change and banded participation, and each hidden cell's reason in kind words.
"""

from __future__ import annotations

from datetime import date
from typing import cast

import asyncpg
import msgspec

from ..trends import TeamTrend, team_trend
from . import queries
from .tokens import ResolvedToken
from .view import (
    Change,
    DimensionView,
    FocusView,
    Lang,
    PointView,
    Status,
    WidgetView,
    dimension_name,
    text,
    ui_texts,
)

DEFAULT_K = 5
_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
}


async def load_view(pool: asyncpg.Pool, tok: ResolvedToken, lang: Lang, waves: int) -> WidgetView:
    async with pool.acquire() as proxy:
        conn = cast(
            asyncpg.Connection, proxy
        )  # a pooled connection is a Connection in all but name
        trend = await team_trend(
            conn, tok.org_id, tok.team_id, subtree=tok.subtree, waves_limit=waves
        )
        focus = await conn.fetchrow(queries.WIDGET_FOCUS, tok.org_id, tok.team_id)
    view = view_from_trend(trend, lang)
    if focus is not None and focus["shown_on_widget"]:
        view = msgspec.structs.replace(
            view,
            focus=FocusView(
                dimension=dimension_name(focus["dimension"], lang),
                trying=focus["try_text"],
                since=wave_label(focus["agreed_on"], lang),
            ),
        )
    return view


def wave_label(day: date, lang: Lang) -> str:
    return f"{day.day} {_MONTHS[lang][day.month - 1]}"


def _k_of(trend: TeamTrend) -> int:
    """The threshold of the latest closed wave (the one the widget's words talk about)."""
    closed = [w for w in trend.waves if w.state == "closed"]
    return closed[-1].k if closed else DEFAULT_K


def _kind_reason(code: str | None, lang: Lang, k: int) -> str:
    if code == "complement":
        return text(lang, "complement")
    if code == "not_asked":
        return text(lang, "not_asked")
    if code == "pooled":
        return text(lang, "pooled")
    return text(lang, "few", k=k)


def view_from_trend(trend: TeamTrend, lang: Lang) -> WidgetView:
    k = _k_of(trend)
    closed = [w for w in trend.waves if w.state == "closed"]
    closed_ids = {w.wave_id for w in closed}
    labels = [wave_label(w.closes_on, lang) for w in closed]
    dims: list[DimensionView] = []
    for series in trend.series:
        if series.kind != "dimension":
            continue
        points = [p for p in series.points if p.wave_id in closed_ids]
        shown = [
            PointView(
                label,
                round(p.result.score)
                if p.result.published and p.result.score is not None
                else None,
            )
            for label, p in zip(labels, points, strict=False)
        ]
        last = points[-1] if points else None
        latest = shown[-1].score if shown else None
        change: Change | None = None
        delta: int | None = None
        note: str | None = None
        if last is not None and latest is not None and last.change is not None:
            change = last.change
            delta = round(last.delta) if last.delta is not None else None
        if last is not None and latest is None:
            note = _kind_reason(last.result.reason_code, lang, k)
        dims.append(
            DimensionView(
                key=series.key,
                name=dimension_name(series.key, lang),
                points=shown,
                latest=latest,
                delta=delta,
                change=change,
                change_text=text(lang, change) if change else None,
                note=note,
            )
        )
    participation = None
    if closed and closed[-1].participation.rate_pct is not None:
        participation = f"{closed[-1].participation.rate_pct}%"
    status: Status = "ok"
    message: str | None = None
    if not closed:
        status, message = "not_published", text(lang, "not_published")
    elif not any(p.score is not None for d in dims for p in d.points):
        status, message = "suppressed", _kind_reason(closed[-1].reason_code, lang, k)
    return WidgetView(
        team=trend.team_name,
        lang=lang,
        k=k,
        status=status,
        message=message,
        waves=labels,
        dimensions=dims if status == "ok" else [],
        participation=participation if status == "ok" else None,
        texts=ui_texts(lang, k),
        group_note=(
            text(lang, "group_note", group=closed[-1].group)
            if closed and closed[-1].pooled and closed[-1].group
            else None
        ),
    )
