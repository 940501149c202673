"""The team page (trend per dimension, rounds, comments, focus), its questions tab and the
talk-about-it guide, built from the guarded trend and comments only."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ..analytics.comments import team_comments
from ..analytics.trends import TeamTrend
from . import i18n, queries
from .charts import ChartPoint, Marker, trend_svg
from .focus import history
from .guides import guide_for, guides
from .models import (
    CommentsView,
    DimensionTrend,
    FocusEntry,
    GuideView,
    ItemCell,
    ItemRow,
    ItemsView,
    Page,
    Suggestion,
    TalkView,
    TeamPageView,
    TrendRow,
    WaveRow,
)
from .sessions import ConsoleSession
from .teams import (
    dimension_order,
    latest_closed,
    latest_dimensions,
    participation_words,
    scoped_trend,
    team_header,
)


def _short(day: Any, lang: str) -> str:
    return i18n.day(day, lang).rsplit(" ", 1)[0]


def suggestion(trend: TeamTrend, lang: str) -> Suggestion | None:
    """The dimension most worth talking about: the largest detected drop, else the lowest score."""
    latest = [d for d in latest_dimensions(trend, lang) if d.cell.published]
    drops = [d for d in latest if d.change == "down" and d.delta is not None]
    if drops:
        d = min(drops, key=lambda d: (d.delta or 0.0, dimension_order(d.key)))
        why = i18n.t(lang, "suggest_drop", dim=d.name, delta=i18n.signed(d.delta or 0.0))
        return Suggestion(d.key, d.name, why)
    if latest:
        d = min(latest, key=lambda d: (d.cell.score or 0.0, dimension_order(d.key)))
        return Suggestion(
            d.key, d.name, i18n.t(lang, "suggest_lowest", dim=d.name, score=d.cell.score)
        )
    return None


def _dimension(
    trend: TeamTrend, series: Any, focus: list[FocusEntry], lang: str, idx: int
) -> DimensionTrend:
    closed = {w.wave_id: w for w in trend.waves if w.state == "closed"}
    name = i18n.dimension_name(series.key, lang)
    points: list[ChartPoint] = []
    rows: list[TrendRow] = []
    for p in series.points:
        wave = closed.get(p.wave_id)
        if wave is None:
            continue  # an open round has nothing to show yet
        label = i18n.day(wave.closes_on, lang)
        c = p.result
        reason = None if c.published else i18n.reason(c.reason_code, lang, wave.k, c.reason_about)
        if c.published and c.score_ci is not None:
            note = i18n.t(
                lang,
                "chart_point",
                wave=label,
                score=c.score,
                low=c.score_ci.low,
                high=c.score_ci.high,
            )
        else:
            note = i18n.t(lang, "chart_hidden_point", wave=label, reason=reason)
        points.append(ChartPoint(_short(wave.closes_on, lang), wave.closes_on, c, note))
        change = i18n.change_words(p.change, lang)
        rows.append(TrendRow(p.wave_id, wave.closes_on, c, reason, p.change, change, p.delta))
    markers = [
        Marker(
            f.agreed_on,
            i18n.t(lang, "chart_focus", date=i18n.day(f.agreed_on, lang), text=f.try_text),
        )
        for f in focus
        if f.dimension == series.key
    ]
    svg = trend_svg(
        points,
        markers,
        title=i18n.t(lang, "chart_title", dim=name, team=trend.team_name, n=len(points)),
        desc=i18n.t(lang, "chart_desc"),
        ids=f"c{idx}",
    )
    return DimensionTrend(series.key, name, svg, rows)


async def team_page(conn: Any, session: ConsoleSession, team_id: UUID, page: Page) -> TeamPageView:
    lang = page.lang
    trend = await scoped_trend(conn, session, team_id)
    header = await team_header(conn, session, team_id, trend)
    focus = await history(conn, session.org_id, team_id, lang)
    series = sorted(trend.series, key=lambda s: dimension_order(s.key))
    dims = [_dimension(trend, s, focus, lang, i) for i, s in enumerate(series)]
    waves = [
        WaveRow(
            wave_id=w.wave_id,
            closed_on=w.closes_on,
            respondents=w.respondents,
            participation=w.participation,
            participation_words=participation_words(w.participation, lang),
            reason=i18n.reason(w.reason_code, lang, w.k, w.reason_about) if w.reason_code else None,
            group=i18n.pooled_group(w.group, w.pooled, w.reason_code),
        )
        for w in trend.waves
        if w.state == "closed"
    ]
    comments = None
    wave = latest_closed(trend)
    if wave is not None:
        found = await team_comments(
            conn, session.org_id, team_id, wave.wave_id, subtree=True, limit=100
        )
        note = None
        if not found.shown:
            comment_k = await conn.fetchval(queries.WAVE_COMMENT_K, session.org_id, wave.wave_id)
            note = i18n.t(lang, "comments_hidden", k=comment_k)
        comments = CommentsView(wave.closes_on, found.shown, found.comments, note)
    return TeamPageView(
        page=page,
        team=header,
        dimensions=dims,
        waves=list(reversed(waves)),
        suggestion=suggestion(trend, lang),
        comments=comments,
        focus=focus,
    )


async def items_page(conn: Any, session: ConsoleSession, team_id: UUID, page: Page) -> ItemsView:
    lang = page.lang
    trend = await scoped_trend(conn, session, team_id, kind="item", waves=6)
    header = await team_header(conn, session, team_id, trend)
    closed = [w for w in trend.waves if w.state == "closed"]
    ks = {w.wave_id: w.k for w in closed}
    texts = {
        r["key"]: r
        for r in await conn.fetch(queries.ITEM_TEXTS, session.org_id, [s.key for s in trend.series])
    }
    rows = []
    for s in trend.series:
        item = texts.get(s.key)
        wording = (item["texts"].get(lang) or item["texts"].get("en")) if item else None
        by_wave = {p.wave_id: p for p in s.points}
        cells = []
        for w in closed:
            p = by_wave[w.wave_id]
            reason = (
                None
                if p.result.published
                else i18n.reason(p.result.reason_code, lang, ks[w.wave_id], p.result.reason_about)
            )
            cells.append(ItemCell(p.result, reason))
        last = by_wave.get(closed[-1].wave_id) if closed else None
        rows.append(
            ItemRow(
                key=s.key,
                wording=wording or s.key,
                dimension=i18n.dimension_name(s.dimension or "", lang),
                cells=cells,
                change=last.change if last else None,
                change_words=i18n.change_words(last.change, lang) if last else None,
                delta=last.delta if last else None,
            )
        )
    rows.sort(
        key=lambda r: (dimension_order(texts[r.key]["dimension"] if r.key in texts else ""), r.key)
    )
    return ItemsView(page=page, team=header, rounds=[w.closes_on for w in closed], items=rows)


def _guide(dimension: str, lang: str) -> GuideView | None:
    g = guide_for(dimension)
    if g is None:
        return None
    text = g.text(lang)
    return GuideView(
        dimension, i18n.dimension_name(dimension, lang), text.why, list(text.questions)
    )


async def talk_page(
    conn: Any, session: ConsoleSession, team_id: UUID, page: Page, chosen: str | None
) -> TalkView:
    lang = page.lang
    trend = await scoped_trend(conn, session, team_id)
    header = await team_header(conn, session, team_id, trend)
    suggested = suggestion(trend, lang)
    pick = chosen if chosen in guides() else (suggested.dimension if suggested else None)
    guide = _guide(pick, lang) if pick else None
    others = [
        g
        for d in sorted(guides(), key=dimension_order)
        if d != pick and (g := _guide(d, lang)) is not None
    ]
    return TalkView(page=page, team=header, suggestion=suggested, guide=guide, others=others)
