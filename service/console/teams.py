"""My teams, and what every team page shares: the header, the dimension order, latest points.

Every number comes from `analytics.trends.team_trend()`, the function the leader API and the
widgets use, called with the caller's `Principal` only after the same scope check as the API.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from ..analytics.trends import TeamTrend, TrendPoint, team_trend
from ..auth import require_team_in_scope
from ..errors import NotFound
from . import i18n, queries
from .models import DimensionLatest, MyTeamsView, Page, TeamCard, TeamHeader
from .sessions import ConsoleSession

ORDER = ("psychological_safety", "speaking_up", "trust", "learning", "follow_through")
WAVES = 12


def dimension_order(key: str) -> tuple[int, str]:
    return (ORDER.index(key) if key in ORDER else len(ORDER), key)


def latest_closed(trend: TeamTrend) -> Any:
    closed = [w for w in trend.waves if w.state == "closed"]
    return closed[-1] if closed else None


def open_closes_on(trend: TeamTrend) -> date | None:
    opened = [w.closes_on for w in trend.waves if w.state == "open"]
    return min(opened) if opened else None


def point_of(points: list[TrendPoint], wave_id: UUID) -> TrendPoint | None:
    return next((p for p in points if p.wave_id == wave_id), None)


def latest_dimensions(trend: TeamTrend, lang: str) -> list[DimensionLatest]:
    """Each dimension's point in the latest closed round, with its change and reason in words."""
    wave = latest_closed(trend)
    if wave is None:
        return []
    out = []
    for s in sorted(trend.series, key=lambda s: dimension_order(s.key)):
        p = point_of(s.points, wave.wave_id)
        if p is None:
            continue
        out.append(
            DimensionLatest(
                key=s.key,
                name=i18n.dimension_name(s.key, lang),
                cell=p.result,
                reason=None
                if p.result.published
                else i18n.reason(p.result.reason_code, lang, wave.k, p.result.reason_about),
                change=p.change,
                change_words=i18n.change_words(p.change, lang),
                delta=p.delta,
            )
        )
    return out


async def next_rounds(conn: Any, org_id: UUID, team_ids: list[UUID]) -> dict[UUID, date]:
    rows = await conn.fetch(queries.NEXT_ROUNDS, org_id, team_ids)
    return {r["team_id"]: r["next_at"].date() for r in rows}


async def team_header(
    conn: Any, session: ConsoleSession, team_id: UUID, trend: TeamTrend
) -> TeamHeader:
    rows = await conn.fetch(queries.TEAMS_BY_ID, session.org_id, [team_id])
    if not rows:
        raise NotFound("No such team.")  # archived since: not a page any more
    wave = latest_closed(trend)
    nexts = await next_rounds(conn, session.org_id, [team_id])
    return TeamHeader(
        team_id=team_id,
        name=rows[0]["name"],
        has_children=rows[0]["has_children"],
        closed_on=wave.closes_on if wave else None,
        open_closes_on=open_closes_on(trend),
        next_round_on=nexts.get(team_id),
        group_note=group_note(wave, i18n.pick(session.locale)),
    )


def group_note(wave: Any, lang: str) -> str | None:
    """ "Reported together as “Data & Design”" and why, for a round that pooled the team."""
    group = i18n.pooled_group(wave.group, wave.pooled, wave.reason_code) if wave else None
    if group is None:
        return None
    return (
        f"{i18n.t(lang, 'reported_together', group=group)}. {i18n.t(lang, 'pooled_why', k=wave.k)}"
    )


async def scoped_trend(
    conn: Any,
    session: ConsoleSession,
    team_id: UUID,
    *,
    kind: Any = "dimension",
    waves: int = WAVES,
) -> TeamTrend:
    """The team's guarded trend (team and below), after the API's own scope check (404)."""
    await require_team_in_scope(conn, session.principal, team_id)
    return await team_trend(
        conn, session.org_id, team_id, subtree=True, waves_limit=waves, kind=kind
    )


async def my_team_ids(conn: Any, session: ConsoleSession) -> list[UUID]:
    ids = set(session.team_ids)
    if session.admin:
        ids |= {r["id"] for r in await conn.fetch(queries.ORG_ROOTS, session.org_id)}
    return list(ids)


async def my_teams(conn: Any, session: ConsoleSession, page: Page) -> MyTeamsView:
    lang = page.lang
    teams = await conn.fetch(queries.TEAMS_BY_ID, session.org_id, await my_team_ids(conn, session))
    nexts = await next_rounds(conn, session.org_id, [t["id"] for t in teams])
    cards = []
    for t in teams:
        trend = await team_trend(conn, session.org_id, t["id"], subtree=True, waves_limit=WAVES)
        wave = latest_closed(trend)
        participation = wave.participation if wave else None
        cards.append(
            TeamCard(
                team_id=t["id"],
                name=t["name"],
                has_children=t["has_children"],
                closed_on=wave.closes_on if wave else None,
                dimensions=latest_dimensions(trend, lang),
                participation=participation,
                participation_words=participation_words(participation, lang),
                group_reason=i18n.reason(wave.reason_code, lang, wave.k, wave.reason_about)
                if wave and wave.reason_code
                else None,
                open_closes_on=open_closes_on(trend),
                next_round_on=nexts.get(t["id"]),
                group=i18n.pooled_group(wave.group, wave.pooled, wave.reason_code)
                if wave
                else None,
            )
        )
    return MyTeamsView(page=page, admin=session.admin, teams=cards)


def participation_words(p: Any, lang: str) -> str | None:
    if p is None or p.rate_pct is None:
        return None
    band = i18n.band_words(p.band, lang) or ""
    return i18n.t(lang, "participation_value", band=band, pct=p.rate_pct)
