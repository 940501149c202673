"""The pulse clock: arq crons that open due waves, queue reminders, close waves and sweep.

Every step is safe to run twice at once (two workers) or again after a crash:
- opening locks the pulse row (`FOR UPDATE SKIP LOCKED`) and moves `next_wave_at` forward in
  the same transaction as `open_wave`; waves are also unique on (pulse, seq);
- reminders are rows in the outbox, unique on (invitation, kind, reminder_no);
- closing goes through `close_wave`, which locks the wave and does nothing to a closed one;
- the sweeper only resets rows whose claim lease ran out and re-queues deterministic job ids.
A step that cannot be done (no one to invite, a previous wave still open because the window is
longer than the cadence, a broken pulse) is written to `schedule_errors` and logged; the clock
moves on rather than retrying the same failure every minute.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from ...errors import CandorError
from ..delivery import outbox
from ..delivery.sender import DeliveryConfig

log = structlog.get_logger("candor.scheduler")

MAX_REMINDERS = 3
# A reminder this close to the deadline would arrive after most people could act on it.
REMINDER_CUTOFF = timedelta(hours=2)


def following_wave_at(pulse: asyncpg.Record, now: datetime) -> datetime:
    """The pulse's first slot after `now` (SURVEYS-DIRECTORY's rule: missed slots are skipped,
    so a scheduler that was down opens one wave, not a burst)."""
    from ..pulses import next_wave_at

    return next_wave_at(pulse, now)


async def record_error(conn: Any, org_id: UUID, pulse_id: UUID, step: str, error: str) -> None:
    log.warning("scheduler.step_failed", pulse_id=str(pulse_id), step=step, error=error)
    await conn.execute(
        """
        INSERT INTO schedule_errors (org_id, pulse_id, step, error) VALUES ($1, $2, $3, $4)
        ON CONFLICT (org_id, pulse_id, step) DO UPDATE SET error = $4, at = now()
        """,
        org_id,
        pulse_id,
        step,
        error[:500],
    )


async def _clear_error(conn: Any, org_id: UUID, pulse_id: UUID, step: str) -> None:
    await conn.execute(
        "DELETE FROM schedule_errors WHERE org_id = $1 AND pulse_id = $2 AND step = $3",
        org_id,
        pulse_id,
        step,
    )


_NEXT_DUE_PULSE = """
SELECT * FROM pulses
WHERE active AND next_wave_at <= now() AND NOT (id = ANY($1::uuid[]))
ORDER BY next_wave_at
LIMIT 1
FOR UPDATE SKIP LOCKED
"""


async def open_one_due_wave(
    conn: Any, secret: str, done: list[UUID]
) -> tuple[UUID, UUID | None] | None:
    """Open the wave of one due pulse and advance its clock, in one transaction.

    Returns (org_id, wave_id or None when it could not open), or None when nothing is due.
    """
    from .lifecycle import open_wave

    async with conn.transaction():
        pulse = await conn.fetchrow(_NEXT_DUE_PULSE, done)
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
        now = await conn.fetchval("SELECT now()")
        try:
            following: datetime | None = following_wave_at(pulse, now)
        except (ValueError, OverflowError) as exc:
            following = None  # stops the clock; the error says why
            await record_error(conn, org_id, pulse_id, "open", f"impossible cadence: {exc}")
        await conn.execute(
            "UPDATE pulses SET next_wave_at = $3 WHERE org_id = $1 AND id = $2",
            org_id,
            pulse_id,
            following,
        )
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
            await outbox.kick_delivery(ctx["redis"], org_id, wave_id)
    return opened


# Per open wave, the highest reminder whose day has come (reminder_days sorted, at most
# MAX_REMINDERS of them). Only that one is queued: after an outage people get one reminder,
# not a burst of the ones missed.
_QUEUE_REMINDERS = """
WITH due AS (
    SELECT w.org_id, w.id AS wave_id, max(r.no) AS no
    FROM waves w
    JOIN pulses p ON p.org_id = w.org_id AND p.id = w.pulse_id
    CROSS JOIN LATERAL (
        SELECT d AS days, row_number() OVER (ORDER BY d) AS no
        FROM unnest(p.reminder_days) AS d
        WHERE d > 0
    ) r
    WHERE w.state = 'open' AND r.no <= $1
      AND w.opens_at + make_interval(days => r.days) <= now()
      AND now() < w.closes_at - $2::interval
    GROUP BY w.org_id, w.id
)
INSERT INTO outbox (org_id, invitation_id, kind, reminder_no)
SELECT i.org_id, i.id, 'reminder', due.no
FROM due
JOIN invitations i ON i.org_id = due.org_id AND i.wave_id = due.wave_id
JOIN people pe ON pe.org_id = i.org_id AND pe.id = i.person_id
WHERE NOT i.responded AND NOT pe.opted_out
  AND EXISTS (SELECT 1 FROM outbox o
              WHERE o.org_id = i.org_id AND o.invitation_id = i.id
                AND o.kind = 'invite' AND o.state = 'sent')
ON CONFLICT (org_id, invitation_id, kind, reminder_no) DO NOTHING
RETURNING org_id, (SELECT wave_id FROM invitations x WHERE x.org_id = outbox.org_id
                   AND x.id = outbox.invitation_id) AS wave_id
"""


async def queue_reminders(ctx: dict[str, Any]) -> int:
    """Cron: queue due reminders for those who have not responded; returns how many."""
    rows = await ctx["pool"].fetch(_QUEUE_REMINDERS, MAX_REMINDERS, REMINDER_CUTOFF)
    for org_id, wave_id in {(r["org_id"], r["wave_id"]) for r in rows}:
        await outbox.kick_delivery(ctx["redis"], org_id, wave_id)
    if rows:
        log.info("scheduler.reminders_queued", count=len(rows))
    return len(rows)


async def close_due_waves(ctx: dict[str, Any]) -> int:
    """Cron: close every open wave whose deadline has passed; returns how many it closed."""
    from .lifecycle import close_wave

    pool: Any = ctx["pool"]
    due = await pool.fetch(
        "SELECT org_id, id, pulse_id FROM waves WHERE state = 'open' AND closes_at <= now() "
        "ORDER BY closes_at"
    )
    closed = 0
    for wave in due:
        async with pool.acquire() as conn:
            try:
                async with conn.transaction():
                    if await close_wave(
                        conn, wave["org_id"], wave["id"], after_close=ctx["after_close"]
                    ):
                        closed += 1
                    await outbox.skip_pending_for_closed_wave(conn, wave["org_id"], wave["id"])
            except (CandorError, asyncpg.PostgresError) as exc:
                detail = getattr(exc, "detail", None) or str(exc)
                await record_error(
                    conn, wave["org_id"], wave["pulse_id"], "close", f"could not close: {detail}"
                )
    return closed


async def sweep_outbox(ctx: dict[str, Any]) -> int:
    """Cron: reclaim rows of vanished senders and re-queue every wave with due mail.

    This is what makes Redis disposable: whatever a flush or a crash lost, the next sweep
    queues again from Postgres. Returns how many waves were nudged.
    """
    config: DeliveryConfig = ctx.get("delivery_config") or DeliveryConfig.from_env()
    pool: asyncpg.Pool = ctx["pool"]
    reset = await outbox.reset_stale_claims(pool, config.lease_seconds)
    if reset:
        log.warning("scheduler.stale_claims_reset", count=reset)
    waves = await outbox.waves_with_due_mail(pool)
    for org_id, wave_id in waves:
        await outbox.kick_delivery(ctx["redis"], org_id, wave_id)
    return len(waves)
