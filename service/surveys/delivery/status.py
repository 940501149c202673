"""What GET /api/v1/waves/{wave_id}/delivery shows: who was invited, reached, failed,
responded, opted out.

- Admin keys see exact delivery counts for the whole wave, and the per-person list of failed
  emails (address and last SMTP error) so they can fix the directory. Every count goes through
  `guard.admin_only`, the one path for admin-only numbers. How many have answered is live data:
  while the wave is open an admin gets only a band per reporting group (for groups of at least
  k invited), never a count that ticks up with each answer; once it closed, the whole wave's
  count and rate, and each group's rate rounded like a leader's.
- Leader keys never see counts or people. They get one participation figure per team at the
  top of their part of the wave, through the anonymity guard: only after the wave closed, only
  for groups of at least k invitees whose results are published, rounded to 5 points.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg
import msgspec

from ...auth import Principal, visible_team_ids
from ...errors import NotFound
from ...guard import admin_only, release_live_band, release_participation
from . import queries
from .models import DeliveryStatus, FailedEmail, GroupPart, GroupProgress, TeamParticipation

FAILURE_LIST_LIMIT = 1000

Reader = asyncpg.Connection | asyncpg.Pool


async def delivery_status(conn: Reader, who: Principal, wave_id: UUID) -> DeliveryStatus:
    """The wave's delivery as `who` may see it; NotFound when it is not theirs to see."""
    wave = await conn.fetchrow(queries.STATUS_WAVE, who.org_id, wave_id)
    if wave is None:
        raise NotFound("No such wave.")
    if who.is_admin:
        return await admin_status(conn, who, wave)
    return await leader_status(conn, who, wave)


async def admin_status(conn: Reader, who: Principal, wave: asyncpg.Record) -> DeliveryStatus:
    counts = await conn.fetchrow(queries.COUNTS, who.org_id, wave["id"])
    assert counts is not None  # an aggregate: always one row
    invited = counts["invited"]
    failures = await conn.fetch(queries.FAILURES, who.org_id, wave["id"], FAILURE_LIST_LIMIT)
    reminders = await conn.fetchval(queries.REMINDERS_SENT, who.org_id, wave["id"])
    opted_out = await conn.fetchval(queries.OPTED_OUT, who.org_id, wave["id"])
    closed = wave["state"] == "closed"
    rate = round(100 * counts["responded"] / invited, 1) if invited and closed else None
    admin = who.is_admin
    progress = []
    for g in await conn.fetch(queries.GROUP_PROGRESS, who.org_id, wave["id"]):
        if closed:
            decision = release_participation(
                g["invited"], g["responded"], k=wave["k"], cell_published=True, wave_closed=True
            )
        else:
            decision = release_live_band(g["invited"], g["responded"], k=wave["k"])
        parts = msgspec.convert(g["parts"], list[GroupPart])
        progress.append(
            GroupProgress(g["name"], decision.band, decision.rate_pct, decision.reason, parts)
        )
    return DeliveryStatus(
        wave_id=wave["id"],
        state=wave["state"],
        k=wave["k"],
        invited=admin_only(admin, invited),
        delivered=admin_only(admin, counts["delivered"]),
        pending=admin_only(admin, counts["pending"]),
        failed=admin_only(admin, counts["failed"]),
        skipped=admin_only(admin, counts["skipped"]),
        reminders_sent=admin_only(admin, reminders),
        responded=admin_only(admin, counts["responded"] if closed else None),
        opted_out=admin_only(admin, opted_out),
        response_rate_pct=admin_only(admin, rate),
        failures=[FailedEmail(**dict(r)) for r in failures] if admin else None,
        progress=progress if admin else None,
    )


async def leader_status(conn: Reader, who: Principal, wave: asyncpg.Record) -> DeliveryStatus:
    visible = await visible_team_ids(conn, who)
    teams = await conn.fetch(queries.WAVE_TEAMS, who.org_id, wave["id"])
    mine = [t for t in teams if t["team_id"] in visible]
    if not mine:
        raise NotFound("No such wave.")
    mine_ids = {t["team_id"] for t in mine}
    tops = [t for t in mine if t["parent_id"] not in mine_ids]
    groups = {
        r["team_id"]: r
        for r in await conn.fetch(
            queries.SUBTREE_PARTICIPATION, who.org_id, wave["id"], [t["team_id"] for t in tops]
        )
    }
    closed = wave["state"] == "closed"
    shown: list[TeamParticipation] = []
    for team in sorted(tops, key=lambda t: (t["name"], t["team_id"])):
        group = groups.get(team["team_id"])
        decision = release_participation(
            group["invited"] if group else 0,
            group["responded"] if group else 0,
            k=wave["k"],
            cell_published=group is not None and group["hidden"] is None,
            wave_closed=closed and group is not None,
        )
        shown.append(
            TeamParticipation(
                team["team_id"], team["name"], decision.rate_pct, decision.band, decision.reason
            )
        )
    return DeliveryStatus(wave_id=wave["id"], state=wave["state"], k=wave["k"], participation=shown)
