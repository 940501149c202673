"""The delivery outbox: every invitation and reminder email as a row with a state.

Postgres is the record of pending work; Redis only carries a nudge ("deliver wave W") under a
deterministic job id, so a flushed Redis or a killed worker loses nothing — the sweeper finds
what is still pending and nudges again.

A row moves pending -> sending (claimed with a random token) -> sent | failed | skipped, or back
to pending with a later `next_attempt_at` after a transient error. A row is marked sent as soon
as the SMTP server accepted the message (batched: within ~50 ms, see SentMarks), and a row is
only ever claimed from 'pending', so in normal operation nothing accepted is sent again — not
by a second worker, not by a retry. The one duplicate window: a worker that dies between the
server's "250" and that UPDATE leaves the row in 'sending'; after the lease the sweeper puts it
back and it is sent a second time (with the same Message-ID, so most mail clients show it
once). We accept that over the alternative (marking before sending), which would lose the
email in the same crash. Rows a worker claimed but never tried are handed back at shutdown.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any, Literal
from uuid import UUID

import asyncpg
import structlog
from redis.exceptions import RedisError

from . import queries
from .models import OutboxItem

log = structlog.get_logger("candor.outbox")

# Anything that runs a query: a pool, a connection, or a pooled connection.
Executor = asyncpg.Pool | asyncpg.Connection | asyncpg.pool.PoolConnectionProxy

DELIVER_JOB = "deliver_wave"


def delivery_job_id(org_id: UUID | str, wave_id: UUID | str) -> str:
    """One queued delivery job per wave at a time, whoever asks for it."""
    return f"deliver:{org_id}:{wave_id}"


async def kick_delivery(redis: Any, org_id: UUID, wave_id: UUID) -> bool:
    """Ask a worker to deliver a wave's pending emails; True when a job was queued.

    Never raises for an unreachable Redis: the rows are already committed, and the sweeper
    (every minute) queues the job once Redis is back.
    """
    try:
        job = await redis.enqueue_job(
            DELIVER_JOB, str(org_id), str(wave_id), _job_id=delivery_job_id(org_id, wave_id)
        )
    except (TimeoutError, RedisError, OSError) as exc:
        log.warning("delivery.kick_failed", wave_id=str(wave_id), error=type(exc).__name__)
        return False
    return job is not None


async def queue_invites(conn: Executor, org_id: UUID, wave_id: UUID) -> None:
    """One pending invite email per invitation of a wave (in the opening transaction)."""
    await conn.execute(queries.QUEUE_INVITES, org_id, wave_id)


async def claim_batch(
    conn: Executor, org_id: UUID, wave_id: UUID, claim: UUID, limit: int
) -> list[OutboxItem]:
    """Claim up to `limit` due rows of a wave; concurrent claimers never get the same row."""
    rows = await conn.fetch(queries.CLAIM, org_id, wave_id, limit, claim)
    return [OutboxItem(**dict(r)) for r in rows]


async def mark_sent(
    conn: Executor,
    item: OutboxItem,
    claim: UUID,
    message_id: str,
) -> None:
    await conn.execute(queries.MARK_SENT, item.org_id, item.id, claim, message_id)


class SentMarks:
    """Marks accepted messages sent in small batches, off the sending path.

    A sender hands over (row, claim, Message-ID) the moment the server said 250 and moves on;
    this flushes every `interval` seconds (or at `max_batch`) in one UPDATE. It keeps one
    database round trip per message off the critical path and most of the write load off
    Postgres. The price: a crash loses at most `interval` seconds of marks, the window in
    which an accepted message could be sent again after the lease (see the module docstring).
    """

    def __init__(self, pool: Executor, *, interval: float = 0.05, max_batch: int = 200) -> None:
        self.pool = pool
        self.interval = interval
        self.max_batch = max_batch
        self._rows: list[tuple[UUID, UUID, UUID, str]] = []
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def add(self, item: OutboxItem, claim: UUID, message_id: str) -> None:
        self._rows.append((item.org_id, item.id, claim, message_id))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._later())

    async def _later(self) -> None:
        if len(self._rows) < self.max_batch:
            await asyncio.sleep(self.interval)
        await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            rows, self._rows = self._rows, []
            if not rows:
                return
            await self.pool.execute(
                queries.MARK_SENT_MANY,
                [r[0] for r in rows],
                [r[1] for r in rows],
                [r[2] for r in rows],
                [r[3] for r in rows],
            )

    async def close(self) -> None:
        """Flush what is left; call before the job ends, also when it is cancelled."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        await self.flush()


async def mark_failed(conn: Executor, item: OutboxItem, claim: UUID, error: str) -> None:
    await _finish(conn, item, claim, "failed", error)


async def mark_skipped(conn: Executor, item: OutboxItem, claim: UUID, reason: str) -> None:
    await _finish(conn, item, claim, "skipped", reason)


async def _finish(
    conn: Executor,
    item: OutboxItem,
    claim: UUID,
    state: Literal["failed", "skipped"],
    error: str,
) -> None:
    await conn.execute(queries.FINISH, item.org_id, item.id, claim, state, error)


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Exponential backoff with jitter, so a recovering server is not hit by a thundering herd."""
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return float(delay * random.uniform(0.8, 1.2))


async def mark_retry(
    conn: Executor,
    item: OutboxItem,
    claim: UUID,
    error: str,
    *,
    delay: float,
    max_attempts: int,
) -> bool:
    """Back to pending after `delay` seconds, or failed once attempts are used up.

    Returns True when the row will be tried again.
    """
    if item.attempts >= max_attempts:
        await mark_failed(conn, item, claim, f"gave up after {item.attempts} attempts: {error}")
        return False
    await conn.execute(queries.RETRY_LATER, item.org_id, item.id, claim, error, delay)
    return True


async def release(conn: Executor, items: list[OutboxItem], claim: UUID) -> None:
    """Give back claimed rows that were never tried (the claim did not count as an attempt)."""
    if not items:
        return
    await conn.execute(queries.RELEASE, items[0].org_id, [i.id for i in items], claim)


async def seconds_until_next_due(conn: Executor, org_id: UUID, wave_id: UUID) -> float | None:
    """Seconds until the wave's earliest pending row is due (0 when due now), None if none."""
    value = await conn.fetchval(queries.SECONDS_UNTIL_NEXT_DUE, org_id, wave_id)
    # greatest() would turn 'no rows' (NULL) into 0, so clamp here instead.
    return None if value is None else max(0.0, float(value))


async def reset_stale_claims(conn: Executor, lease_seconds: float) -> int:
    """Put rows whose sender vanished (still 'sending' after the lease) back to pending."""
    result = await conn.execute(queries.RESET_STALE_CLAIMS, lease_seconds)
    return int(result.split()[-1])


async def waves_with_due_mail(conn: Executor) -> list[tuple[UUID, UUID]]:
    """(org_id, wave_id) of every wave with pending rows due now."""
    rows = await conn.fetch(queries.WAVES_WITH_DUE_MAIL)
    return [(r["org_id"], r["wave_id"]) for r in rows]


async def skip_pending_for_closed_wave(conn: Executor, org_id: UUID, wave_id: UUID) -> int:
    """A closed wave's unsent mail would carry a dead link: record it as skipped instead."""
    result = await conn.execute(queries.SKIP_PENDING_OF_WAVE, org_id, wave_id)
    return int(result.split()[-1])
