"""Delivery's part of the pulse clock: arq crons that queue reminders and sweep the outbox.

Both are safe to run twice at once or again after a crash: reminders are rows in the outbox,
unique on (invitation, kind, reminder_no), and the sweeper only resets rows whose claim lease
ran out and re-queues deterministic job ids.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
import structlog

from . import outbox, queries
from .sender import DeliveryConfig

log = structlog.get_logger("candor.scheduler")

MAX_REMINDERS = 3
# A reminder this close to the deadline would arrive after most people could act on it.
REMINDER_CUTOFF = timedelta(hours=2)


async def queue_reminders(ctx: dict[str, Any]) -> int:
    """Cron: queue due reminders for those who have not responded; returns how many."""
    rows = await ctx["pool"].fetch(queries.QUEUE_REMINDERS, MAX_REMINDERS, REMINDER_CUTOFF)
    for org_id, wave_id in {(r["org_id"], r["wave_id"]) for r in rows}:
        await outbox.kick_delivery(ctx["redis"], org_id, wave_id)
    if rows:
        log.info("scheduler.reminders_queued", count=len(rows))
    return len(rows)


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
