"""The open wave's ballot box, resealed every few minutes so a copy of the database taken
mid-wave cannot line ballots up with the invitations that produced them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from . import queries


async def reseal_ballot_box(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy[Any], org_id: UUID, wave_id: UUID
) -> bool:
    """Shuffle an open wave's ballot box and re-stamp its invitations in one transaction.

    A dump or backup taken after this cannot line up the ballots submitted so far with the
    invitations that produced them, neither by row order nor by transaction id (all carry this
    transaction's). Only submissions since the last reseal stay linkable to someone reading the
    live database, so the clock runs it every few minutes (`reseal_open_waves`).
    False when the wave is not open.
    """
    async with conn.transaction():
        state = await conn.fetchval(queries.LOCK_WAVE, org_id, wave_id)
        if state != "open":
            return False
        await conn.execute(queries.RESHUFFLE, org_id, wave_id)
        await conn.execute(queries.RESTAMP_INVITATIONS, org_id, wave_id)
    return True


async def reseal_open_waves(ctx: dict[str, Any]) -> int:
    """arq job: reseal the ballot box of every open wave that received ballots; returns how many."""
    pool: asyncpg.Pool = ctx["pool"]
    waves = await pool.fetch(queries.OPEN_WAVES_WITH_BALLOTS)
    done = 0
    for w in waves:
        async with pool.acquire() as conn:
            done += await reseal_ballot_box(conn, w["org_id"], w["wave_id"])
    return done
