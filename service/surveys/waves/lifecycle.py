"""Waves: opening one (freeze the teams, invite their people, lock thresholds) and closing one
(empty the sealed ballot box into shuffled responses and comments, then roll up).

`open_wave` and `close_wave` run inside the caller's transaction so the clock and the admin
API share them. What closing triggers beyond this slice (the analytics rollup) is passed in
as `after_close` by whoever assembles the app or the worker.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from ...audit import Actor, record
from ...errors import Conflict, NotFound, UnprocessableEntity
from ...guard.plan import PlanTeam, plan_reporting
from ...orgs import require_within_floors
from ..delivery import kick_delivery, queue_invites
from ..pulses import FOLLOW_UP_ITEM, items_for_wave, next_wave_at
from ..respond import token_for, token_hash
from . import queries

log = structlog.get_logger("candor.waves")
# The codes of a refusal to open a wave (a page words them; see CandorError.code).
WAVE_CODES = ("wave.paused", "wave.already_open", "wave.nobody")

# What else happens in the closing transaction (the analytics rollup). The surveys slice does
# not know analytics: the app and the worker pass it in where they are assembled.
AfterClose = Callable[[asyncpg.Connection, UUID, UUID], Awaitable[None]]


async def open_wave(
    conn: asyncpg.Connection,
    org_id: UUID,
    pulse_id: UUID,
    *,
    opens_at: datetime | None = None,
    secret: str | None = None,
    actor: Actor | None = None,
) -> UUID:
    """Open the pulse's next wave in the caller's transaction and return its id.

    Freezes the team tree and who is in which team, locks k and comment_k (refused below the
    org's floors), creates one invitation per active, not opted-out member, freezes the
    reporting plan (which groups the wave reports, guard/plan.py), queues one invite email per
    invitation, and logs the opening (`actor` default: the scheduler).
    `secret` is SECRET_KEY (default: the service settings) from which token hashes are derived.
    """
    if secret is None:
        from ...settings import get_settings

        secret = get_settings().secret_key
    async with conn.transaction():
        pulse = await conn.fetchrow(queries.LOCK_PULSE, org_id, pulse_id)
        if pulse is None:
            raise NotFound("No such pulse.")
        if not pulse["active"]:
            raise Conflict(
                "This pulse is paused; activate it before opening a wave.", code="wave.paused"
            )
        if await conn.fetchval(queries.HAS_OPEN_WAVE, org_id, pulse_id):
            raise Conflict(
                "This pulse already has an open wave; close it first.", code="wave.already_open"
            )
        await require_within_floors(conn, org_id, pulse["k"], pulse["comment_k"], opening=pulse_id)
        seq = await conn.fetchval(queries.NEXT_SEQ, org_id, pulse_id)
        start = opens_at or datetime.now(UTC)
        wave_id: UUID = await conn.fetchval(
            queries.INSERT_WAVE,
            org_id,
            pulse_id,
            seq,
            items_for_wave(pulse, seq),
            pulse["k"],
            pulse["comment_k"],
            start,
            start + timedelta(days=pulse["open_days"]),
        )
        await conn.execute(queries.FREEZE_TEAMS, org_id, wave_id, pulse["team_ids"])
        members = await conn.fetch(queries.MEMBERS, org_id, wave_id)
        if not members:
            raise UnprocessableEntity(
                "Nobody to invite: the pulse's teams have no active people who have not opted out.",
                code="wave.nobody",
            )
        # Ids come from here (uuid4, random) so each token hash is known before the insert.
        ids = [uuid.uuid4() for _ in members]
        await conn.execute(
            queries.INVITE,
            org_id,
            wave_id,
            ids,
            [m["id"] for m in members],
            [m["team_id"] for m in members],
            [token_hash(token_for(secret, i)) for i in ids],
        )
        await conn.execute(queries.COUNT_INVITED, org_id, wave_id)
        # A team that has agreed a focus is asked, in the waves after, whether it followed it.
        if await conn.fetch(queries.MARK_FOLLOW_UP, org_id, wave_id, start.date()):
            await conn.execute(queries.ADD_FOLLOW_UP_ITEM, org_id, wave_id, FOLLOW_UP_ITEM)
        await freeze_plan(conn, org_id, wave_id)
        await queue_invites(conn, org_id, wave_id)
        # A wave opened now, by hand, while the pulse's next slot has already come takes that
        # slot: the clock moves on to the slot after it, as when the scheduler opens a wave, so
        # the scheduler does not open (and email) a second wave as soon as this one closes.
        due = pulse["next_wave_at"]
        if opens_at is None and due is not None and due <= start:
            try:
                following = next_wave_at(pulse, start)
            except (ValueError, OverflowError):
                following = due  # an impossible cadence: the scheduler records why
            await conn.execute(queries.SET_NEXT_WAVE_AT, org_id, pulse_id, following)
        await record(
            conn,
            actor or Actor.system(org_id),
            "wave.open",
            "wave",
            wave_id,
            {"pulse_id": pulse_id, "seq": seq, "k": pulse["k"], "comment_k": pulse["comment_k"]},
        )
    return wave_id


async def freeze_plan(conn: asyncpg.Connection, org_id: UUID, wave_id: UUID) -> None:
    """Plan the wave's groups from its frozen tree, invited counts, choices and locked k, and
    keep them.

    Later changes to the tree or to a team's "report with" choice never change an opened
    wave's groups: the rollup, and the respondent page, read these rows.
    """
    k = await conn.fetchval(queries.WAVE_K, org_id, wave_id)
    rows = await conn.fetch(queries.WAVE_TEAMS_FOR_PLAN, org_id, wave_id)
    plan = plan_reporting(
        [
            PlanTeam(r["team_id"], r["parent_id"], r["name"], r["invited"], r["report_with"])
            for r in rows
        ],
        k,
    )
    await conn.execute(
        queries.STORE_PLAN,
        org_id,
        wave_id,
        [key.team_id for key in plan.keys],
        [key.scope for key in plan.keys],
        ["" if key.atoms is None else ",".join(str(a) for a in key.atoms) for key in plan.keys],
        [key.name for key in plan.keys],
        [key.invited for key in plan.keys],
        [key.pooled for key in plan.keys],
    )


async def close_wave(
    conn: asyncpg.Connection,
    org_id: UUID,
    wave_id: UUID,
    *,
    after_close: AfterClose,
    actor: Actor | None = None,
) -> bool:
    """Close an open wave in the caller's transaction; False when it was already closed.

    The wave row is locked FOR UPDATE first: a submit holds FOR KEY SHARE on it while it
    writes, so no ballot can land after the box was emptied. `after_close` runs last, in the
    same transaction, so results exist exactly when the wave is closed. The closing is logged
    (`actor` default: the scheduler); closing a closed wave changes nothing and logs nothing.
    """
    async with conn.transaction():
        state = await conn.fetchval(queries.LOCK_WAVE, org_id, wave_id)
        if state is None:
            raise NotFound("No such wave.")
        if state != "open":
            return False
        await conn.execute(queries.SHUFFLE_ANSWERS, org_id, wave_id)
        await conn.execute(queries.SHUFFLE_COMMENTS, org_id, wave_id)
        await conn.execute(queries.EMPTY_BOX, org_id, wave_id)
        await conn.execute(queries.RESTAMP_INVITATIONS, org_id, wave_id)
        await conn.execute(queries.MARK_CLOSED, org_id, wave_id)
        await after_close(conn, org_id, wave_id)
        await record(conn, actor or Actor.system(org_id), "wave.close", "wave", wave_id)
    return True


async def nudge_delivery(redis: Any, org_id: UUID, wave_id: UUID) -> None:
    """Ask for a just-opened wave's emails; Postgres already holds them, so failure only delays."""
    try:
        await kick_delivery(redis, org_id, wave_id)
    except Exception as exc:  # a Redis outage must not fail an opened wave
        log.warning("delivery_kick_failed", wave_id=str(wave_id), error=type(exc).__name__)
