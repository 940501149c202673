"""Waves: opening one (freeze the teams, invite their people, lock thresholds) and closing one
(empty the sealed ballot box into shuffled responses and comments, then roll up).

`open_wave` and `close_wave` run inside the caller's transaction so the scheduler and the admin
API share them; the admin routes at the bottom add authentication and the delivery kick.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
import structlog
from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import Provide

from ...apidoc import problems
from ...auth import Principal, provide_principal, visible_team_ids
from ...errors import Conflict, NotFound, UnprocessableEntity
from ..delivery.outbox import kick_delivery
from ..pulses import items_for_wave
from ..respond.tokens import token_for, token_hash

log = structlog.get_logger("candor.waves")


_LOCK_PULSE = """
SELECT * FROM pulses WHERE org_id = $1 AND id = $2 FOR UPDATE
"""

# The pulse's subtrees as they stand now; a team reachable from two roots appears once, and a
# team whose parent is outside the wave becomes a root of the wave's tree.
_FREEZE_TEAMS = """
WITH RECURSIVE tree AS (
    SELECT id, parent_id, name FROM teams
    WHERE org_id = $1 AND id = ANY($3::uuid[]) AND archived_at IS NULL
    UNION
    SELECT t.id, t.parent_id, t.name FROM teams t JOIN tree ON t.parent_id = tree.id
    WHERE t.org_id = $1 AND t.archived_at IS NULL
)
INSERT INTO wave_teams (org_id, wave_id, team_id, parent_id, name)
SELECT $1, $2, t.id,
       CASE WHEN t.parent_id IN (SELECT id FROM tree) THEN t.parent_id END, t.name
FROM tree t
"""

_MEMBERS = """
SELECT p.id, p.team_id FROM people p
JOIN wave_teams wt ON wt.org_id = p.org_id AND wt.team_id = p.team_id AND wt.wave_id = $2
WHERE p.org_id = $1 AND p.active AND NOT p.opted_out
"""

_INVITE = """
INSERT INTO invitations (org_id, wave_id, id, person_id, team_id, token_hash)
SELECT $1, $2, u.id, u.person_id, u.team_id, u.token_hash
FROM unnest($3::uuid[], $4::uuid[], $5::uuid[], $6::bytea[])
     AS u(id, person_id, team_id, token_hash)
"""

_COUNT_INVITED = """
UPDATE wave_teams wt SET invited = c.n
FROM (SELECT team_id, count(*) AS n FROM invitations
      WHERE org_id = $1 AND wave_id = $2 GROUP BY team_id) c
WHERE wt.org_id = $1 AND wt.wave_id = $2 AND wt.team_id = c.team_id
"""

_OUTBOX = """
INSERT INTO outbox (org_id, invitation_id, kind, state)
SELECT org_id, id, 'invite', 'pending' FROM invitations WHERE org_id = $1 AND wave_id = $2
"""


async def open_wave(
    conn: asyncpg.Connection,
    org_id: UUID,
    pulse_id: UUID,
    *,
    opens_at: datetime | None = None,
    secret: str | None = None,
) -> UUID:
    """Open the pulse's next wave in the caller's transaction and return its id.

    Freezes the team tree and who is in which team, locks k and comment_k, creates one
    invitation per active, not opted-out member and one pending outbox row per invitation.
    `secret` is SECRET_KEY (default: the service settings) from which token hashes are derived.
    """
    if secret is None:
        from ...settings import get_settings

        secret = get_settings().secret_key
    async with conn.transaction():
        pulse = await conn.fetchrow(_LOCK_PULSE, org_id, pulse_id)
        if pulse is None:
            raise NotFound("No such pulse.")
        if not pulse["active"]:
            raise Conflict("This pulse is paused; activate it before opening a wave.")
        if await conn.fetchval(
            "SELECT true FROM waves WHERE org_id = $1 AND pulse_id = $2 AND state = 'open'",
            org_id,
            pulse_id,
        ):
            raise Conflict("This pulse already has an open wave; close it first.")
        seq = await conn.fetchval(
            "SELECT coalesce(max(seq), 0) + 1 FROM waves WHERE org_id = $1 AND pulse_id = $2",
            org_id,
            pulse_id,
        )
        start = opens_at or datetime.now(UTC)
        wave_id: UUID = await conn.fetchval(
            """
            INSERT INTO waves (org_id, pulse_id, seq, item_keys, k, comment_k, opens_at, closes_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
            """,
            org_id,
            pulse_id,
            seq,
            items_for_wave(pulse, seq),
            pulse["k"],
            pulse["comment_k"],
            start,
            start + timedelta(days=pulse["open_days"]),
        )
        await conn.execute(_FREEZE_TEAMS, org_id, wave_id, pulse["team_ids"])
        members = await conn.fetch(_MEMBERS, org_id, wave_id)
        if not members:
            raise UnprocessableEntity(
                "Nobody to invite: the pulse's teams have no active people who have not opted out."
            )
        # Ids come from here (uuid4, random) so each token hash is known before the insert.
        ids = [uuid.uuid4() for _ in members]
        await conn.execute(
            _INVITE,
            org_id,
            wave_id,
            ids,
            [m["id"] for m in members],
            [m["team_id"] for m in members],
            [token_hash(token_for(secret, i)) for i in ids],
        )
        await conn.execute(_COUNT_INVITED, org_id, wave_id)
        await conn.execute(_OUTBOX, org_id, wave_id)
    return wave_id


_SHUFFLE_ANSWERS = """
INSERT INTO responses (org_id, wave_id, id, team_id, answers)
SELECT org_id, wave_id, gen_random_uuid(), team_id, answers
FROM ballots WHERE org_id = $1 AND wave_id = $2
ORDER BY random()
"""

# Shuffled separately from the answers, so a comment's position says nothing about its scores.
_SHUFFLE_COMMENTS = """
INSERT INTO comments (org_id, wave_id, id, team_id, body)
SELECT org_id, wave_id, gen_random_uuid(), team_id, comment
FROM ballots WHERE org_id = $1 AND wave_id = $2 AND comment IS NOT NULL
ORDER BY random()
"""

_EMPTY_BOX = "DELETE FROM ballots WHERE org_id = $1 AND wave_id = $2"

# Every invitation of the wave is rewritten by this transaction, so in a dump taken after close
# their xmin no longer tells in which order people responded.
_RESTAMP_INVITATIONS = """
UPDATE invitations SET responded = responded WHERE org_id = $1 AND wave_id = $2
"""


# What else happens in the closing transaction (the analytics rollup). The surveys slice does
# not know analytics: the app and the worker pass it in where they are assembled.
AfterClose = Callable[[asyncpg.Connection, UUID, UUID], Awaitable[None]]


async def close_wave(
    conn: asyncpg.Connection, org_id: UUID, wave_id: UUID, *, after_close: AfterClose
) -> bool:
    """Close an open wave in the caller's transaction; False when it was already closed.

    The wave row is locked FOR UPDATE first: a submit holds FOR KEY SHARE on it while it
    writes, so no ballot can land after the box was emptied. `after_close` runs last, in the
    same transaction, so results exist exactly when the wave is closed.
    """
    async with conn.transaction():
        state = await conn.fetchval(
            "SELECT state FROM waves WHERE org_id = $1 AND id = $2 FOR UPDATE", org_id, wave_id
        )
        if state is None:
            raise NotFound("No such wave.")
        if state != "open":
            return False
        await conn.execute(_SHUFFLE_ANSWERS, org_id, wave_id)
        await conn.execute(_SHUFFLE_COMMENTS, org_id, wave_id)
        await conn.execute(
            "DELETE FROM ballots WHERE org_id = $1 AND wave_id = $2", org_id, wave_id
        )
        await conn.execute(_RESTAMP_INVITATIONS, org_id, wave_id)
        await conn.execute(
            "UPDATE waves SET state = 'closed', closed_at = now() WHERE org_id = $1 AND id = $2",
            org_id,
            wave_id,
        )
        await after_close(conn, org_id, wave_id)
    return True


# Take every ballot out and put it back in a random order, in one statement: afterwards the
# box's physical order no longer follows the order people submitted in.
_RESHUFFLE = """
WITH taken AS (
    DELETE FROM ballots WHERE org_id = $1 AND wave_id = $2
    RETURNING team_id, answers, comment
)
INSERT INTO ballots (org_id, wave_id, team_id, answers, comment)
SELECT $1, $2, team_id, answers, comment FROM taken ORDER BY random()
"""


async def reseal_ballot_box(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy[Any], org_id: UUID, wave_id: UUID
) -> bool:
    """Shuffle an open wave's ballot box and re-stamp its invitations in one transaction.

    A dump or backup taken after this cannot line up the ballots submitted so far with the
    invitations that produced them, neither by row order nor by transaction id (all carry this
    transaction's). Only submissions since the last reseal stay linkable to someone reading the
    live database, so the scheduler runs it every few minutes (`reseal_open_waves`).
    False when the wave is not open.
    """
    async with conn.transaction():
        state = await conn.fetchval(
            "SELECT state FROM waves WHERE org_id = $1 AND id = $2 FOR UPDATE", org_id, wave_id
        )
        if state != "open":
            return False
        await conn.execute(_RESHUFFLE, org_id, wave_id)
        await conn.execute(_RESTAMP_INVITATIONS, org_id, wave_id)
    return True


async def reseal_open_waves(ctx: dict[str, Any]) -> int:
    """arq job: reseal the ballot box of every open wave that received ballots; returns how many."""
    pool: asyncpg.Pool = ctx["pool"]
    waves = await pool.fetch(
        """
        SELECT DISTINCT b.org_id, b.wave_id FROM ballots b
        JOIN waves w ON w.org_id = b.org_id AND w.id = b.wave_id WHERE w.state = 'open'
        """
    )
    done = 0
    for w in waves:
        async with pool.acquire() as conn:
            done += await reseal_ballot_box(conn, w["org_id"], w["wave_id"])
    return done


# --- admin API -------------------------------------------------------------------------------


class WaveTeamOut(msgspec.Struct, frozen=True):
    team_id: UUID
    parent_id: UUID | None
    name: str
    # Only admins see how many were invited per team: for a leader a small count next to a
    # later participation figure would be a number resting on fewer than k people.
    invited: int | None = None


class WaveOut(msgspec.Struct, frozen=True):
    id: UUID
    pulse_id: UUID
    seq: int
    state: str
    item_keys: list[str]
    k: int
    comment_k: int
    opens_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    teams: list[WaveTeamOut]


_WAVE_COLUMNS = "id, pulse_id, seq, state, item_keys, k, comment_k, opens_at, closes_at, closed_at"


async def _waves_out(
    conn: asyncpg.Connection | asyncpg.Pool,
    who: Principal,
    rows: list[asyncpg.Record],
    visible: set[UUID] | None,
) -> list[WaveOut]:
    """Wave rows with their frozen teams (one query for all), limited to what `who` may see."""
    teams = await conn.fetch(
        """
        SELECT wave_id, team_id, parent_id, name, invited FROM wave_teams
        WHERE org_id = $1 AND wave_id = ANY($2::uuid[]) ORDER BY name, team_id
        """,
        who.org_id,
        [r["id"] for r in rows],
    )
    by_wave: dict[UUID, list[WaveTeamOut]] = {r["id"]: [] for r in rows}
    for t in teams:
        if visible is None or t["team_id"] in visible:
            by_wave[t["wave_id"]].append(
                WaveTeamOut(
                    team_id=t["team_id"],
                    parent_id=t["parent_id"],
                    name=t["name"],
                    invited=t["invited"] if who.is_admin else None,
                )
            )
    columns = _WAVE_COLUMNS.split(", ")
    return [WaveOut(**{k: r[k] for k in columns}, teams=by_wave[r["id"]]) for r in rows]


async def _kick(state: State, org_id: UUID, wave_id: UUID) -> None:
    """Nudge the delivery worker; Postgres already holds the outbox, so failure only delays."""
    try:
        await kick_delivery(state.redis, org_id, wave_id)
    except Exception as exc:  # a Redis outage must not fail an opened wave
        log.warning("delivery_kick_failed", wave_id=str(wave_id), error=type(exc).__name__)


class WaveController(Controller):
    path = "/api/v1"
    tags = ["waves"]
    dependencies = {"who": Provide(provide_principal)}

    @post(
        "/pulses/{pulse_id:uuid}/waves",
        summary="Open the pulse's next wave now (admin)",
        responses=problems(409, 422),
    )
    async def open_now(self, state: State, who: Principal, pulse_id: UUID) -> WaveOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            wave_id = await open_wave(conn, who.org_id, pulse_id, secret=state.settings.secret_key)
            row = await conn.fetchrow(
                f"SELECT {_WAVE_COLUMNS} FROM waves WHERE org_id = $1 AND id = $2",
                who.org_id,
                wave_id,
            )
            (out,) = await _waves_out(conn, who, [row], None)
        await _kick(state, who.org_id, wave_id)
        return out

    @get("/waves", summary="Waves, newest first (admin: all; leader: those touching their teams)")
    async def list_waves(
        self, state: State, who: Principal, pulse_id: UUID | None = None
    ) -> list[WaveOut]:
        async with state.pool.acquire() as conn:
            visible = None if who.is_admin else await visible_team_ids(conn, who)
            rows = await conn.fetch(
                f"""
                SELECT {_WAVE_COLUMNS} FROM waves w
                WHERE org_id = $1 AND ($2::uuid IS NULL OR pulse_id = $2)
                  AND ($3::uuid[] IS NULL OR EXISTS (
                        SELECT 1 FROM wave_teams wt WHERE wt.org_id = w.org_id
                        AND wt.wave_id = w.id AND wt.team_id = ANY($3::uuid[])))
                ORDER BY opens_at DESC, seq DESC LIMIT 500
                """,
                who.org_id,
                pulse_id,
                None if visible is None else list(visible),
            )
            return await _waves_out(conn, who, list(rows), visible)

    @get("/waves/{wave_id:uuid}", summary="One wave with its frozen teams")
    async def get_wave(self, state: State, who: Principal, wave_id: UUID) -> WaveOut:
        async with state.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {_WAVE_COLUMNS} FROM waves WHERE org_id = $1 AND id = $2",
                who.org_id,
                wave_id,
            )
            if row is None:
                raise NotFound("No such wave.")
            visible = None if who.is_admin else await visible_team_ids(conn, who)
            (out,) = await _waves_out(conn, who, [row], visible)
            if visible is not None and not out.teams:
                raise NotFound("No such wave.")
            return out

    @post(
        "/waves/{wave_id:uuid}/close",
        summary="Close an open wave now (admin; idempotent)",
        status_code=200,
    )
    async def close_now(self, state: State, who: Principal, wave_id: UUID) -> WaveOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            await close_wave(conn, who.org_id, wave_id, after_close=state.after_close)
            row = await conn.fetchrow(
                f"SELECT {_WAVE_COLUMNS} FROM waves WHERE org_id = $1 AND id = $2",
                who.org_id,
                wave_id,
            )
            (out,) = await _waves_out(conn, who, [row], None)
            return out


ROUTES: list[Any] = [WaveController]
