"""The waves' part of the pulse clock: arq crons that open due waves and close ended ones.

Every step is safe to run twice at once (two workers) or again after a crash:
- opening locks the pulse row (`FOR UPDATE SKIP LOCKED`) and moves `next_wave_at` forward in
  the same transaction as `open_wave`; waves are also unique on (pulse, seq);
- closing goes through `close_wave`, which locks the wave and does nothing to a closed one.
A step that cannot be done (no one to invite, a previous wave still open because the window is
longer than the cadence, a broken pulse) is written to `schedule_errors` and logged; the clock
moves on rather than retrying the same failure every minute. Reminders and the outbox sweep
are delivery's part of the clock (surveys/delivery/clock.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from ...errors import CandorError
from ..delivery import kick_delivery, skip_pending_for_closed_wave
from ..pulses import next_wave_at
from . import queries
from .lifecycle import close_wave, open_wave

log = structlog.get_logger("candor.scheduler")


def following_wave_at(pulse: asyncpg.Record, now: datetime) -> datetime:
    """The pulse's first slot after `now` (SURVEYS-DIRECTORY's rule: missed slots are skipped,
    so a scheduler that was down opens one wave, not a burst)."""
    return next_wave_at(pulse, now)


async def record_error(conn: Any, org_id: UUID, pulse_id: UUID, step: str, error: str) -> None:
    log.warning("scheduler.step_failed", pulse_id=str(pulse_id), step=step, error=error)
    await conn.execute(queries.RECORD_ERROR, org_id, pulse_id, step, error[:500])


async def _clear_error(conn: Any, org_id: UUID, pulse_id: UUID, step: str) -> None:
    await conn.execute(queries.CLEAR_ERROR, org_id, pulse_id, step)


async def open_one_due_wave(
    conn: Any, secret: str, done: list[UUID]
) -> tuple[UUID, UUID | None] | None:
    """Open the wave of one due pulse and advance its clock, in one transaction.

    Returns (org_id, wave_id or None when it could not open), or None when nothing is due.
    """
    async with conn.transaction():
        pulse = await conn.fetchrow(queries.NEXT_DUE_PULSE, done)
        if pulse is None:
            return None
        org_id, pulse_id = pulse["org_id"], pulse["id"]
        done.append(pulse_id)
        wave_id: UUID | None = None
        try:
            async with conn.transaction():  # a savepoint: a failed open leaves no half wave
                wave_id = await open_wave(conn, org_id, pulse_id, secret=secret)
        except (CandorError, asyncpg.PostgresError) as exc:
            detail = getattr(exc, "detail", None) or str(exc)
            await record_error(conn, org_id, pulse_id, "open", f"could not open a wave: {detail}")
        else:
            await _clear_error(conn, org_id, pulse_id, "open")
        now = await conn.fetchval(queries.NOW)
        try:
            following: datetime | None = following_wave_at(pulse, now)
        except (ValueError, OverflowError) as exc:
            following = None  # stops the clock; the error says why
            await record_error(conn, org_id, pulse_id, "open", f"impossible cadence: {exc}")
        await conn.execute(queries.SET_NEXT_WAVE_AT, org_id, pulse_id, following)
    return org_id, wave_id


async def open_due_waves(ctx: dict[str, Any]) -> int:
    """Cron: open a wave for every pulse whose next_wave_at has come; returns how many."""
    pool: asyncpg.Pool = ctx["pool"]
    done: list[UUID] = []
    opened = 0
    while len(done) < 10_000:
        async with pool.acquire() as conn:
            result = await open_one_due_wave(conn, ctx["settings"].secret_key, done)
        if result is None:
            break
        org_id, wave_id = result
        if wave_id is not None:
            opened += 1
            log.info("scheduler.wave_opened", wave_id=str(wave_id))
            await kick_delivery(ctx["redis"], org_id, wave_id)
    return opened


async def close_due_waves(ctx: dict[str, Any]) -> int:
    """Cron: close every open wave whose deadline has passed; returns how many it closed."""
    pool: Any = ctx["pool"]
    due = await pool.fetch(queries.DUE_TO_CLOSE)
    closed = 0
    for wave in due:
        async with pool.acquire() as conn:
            try:
                async with conn.transaction():
                    if await close_wave(
                        conn, wave["org_id"], wave["id"], after_close=ctx["after_close"]
                    ):
                        closed += 1
                    await skip_pending_for_closed_wave(conn, wave["org_id"], wave["id"])
            except (CandorError, asyncpg.PostgresError) as exc:
                detail = getattr(exc, "detail", None) or str(exc)
                await record_error(
                    conn, wave["org_id"], wave["pulse_id"], "close", f"could not close: {detail}"
                )
    return closed
