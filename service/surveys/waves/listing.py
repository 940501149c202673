"""Waves as the admin API shows them: each with its frozen team tree, cut down to the teams
a leader may see, and the per-team invited counts for admins only."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from ...auth import Principal, visible_team_ids
from ...errors import NotFound
from ...guard import admin_only
from . import queries
from .models import WaveOut, WaveTeamOut

Reader = asyncpg.Connection | asyncpg.Pool


async def _waves_out(
    conn: Reader, who: Principal, rows: Sequence[asyncpg.Record], visible: set[UUID] | None
) -> list[WaveOut]:
    """Wave rows with their frozen teams (one query for all), limited to what `who` may see."""
    teams = await conn.fetch(queries.WAVE_TEAMS, who.org_id, [r["id"] for r in rows])
    by_wave: dict[UUID, list[WaveTeamOut]] = {r["id"]: [] for r in rows}
    for t in teams:
        if visible is None or t["team_id"] in visible:
            by_wave[t["wave_id"]].append(
                WaveTeamOut(
                    team_id=t["team_id"],
                    parent_id=t["parent_id"],
                    name=t["name"],
                    invited=admin_only(who.is_admin, t["invited"]),
                )
            )
    return [
        WaveOut(
            id=r["id"],
            pulse_id=r["pulse_id"],
            seq=r["seq"],
            state=r["state"],
            item_keys=r["item_keys"],
            k=r["k"],
            comment_k=r["comment_k"],
            opens_at=r["opens_at"],
            closes_at=r["closes_at"],
            closed_at=r["closed_at"],
            teams=by_wave[r["id"]],
        )
        for r in rows
    ]


async def list_waves(conn: Reader, who: Principal, pulse_id: UUID | None) -> list[WaveOut]:
    """Newest first: every wave for an admin, those touching their teams for a leader."""
    visible = None if who.is_admin else await visible_team_ids(conn, who)
    rows = await conn.fetch(
        queries.WAVES, who.org_id, pulse_id, None if visible is None else list(visible)
    )
    return await _waves_out(conn, who, rows, visible)


async def one_wave(conn: Reader, who: Principal, wave_id: UUID) -> WaveOut:
    """One wave; NotFound when it is not the org's or (for a leader) touches none of their teams."""
    row = await conn.fetchrow(queries.WAVE, who.org_id, wave_id)
    if row is None:
        raise NotFound("No such wave.")
    visible = None if who.is_admin else await visible_team_ids(conn, who)
    (out,) = await _waves_out(conn, who, [row], visible)
    if visible is not None and not out.teams:
        raise NotFound("No such wave.")
    return out
