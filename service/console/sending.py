"""The console's mail queue: rows of `console_mail` are the record, Redis only nudges.

The job `send_console_mail` sends one row; `sweep_console_mail` (every minute, and at worker
start) sends whatever is still due, so a lost nudge delays a mail by a minute at most. A sign-in
mail is written from its link; a "results are in" mail is written when it is sent, from the
guarded trend (results.py), so it never says more than the console would at that moment.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import aiosmtplib
import asyncpg
import structlog
from redis.exceptions import RedisError

from ..settings import Settings
from . import queries
from .mail import message, send, signin_mail
from .results import results_mail_for

log = structlog.get_logger("candor.console.mail")

SEND_JOB = "send_console_mail"
MAX_ATTEMPTS = 5


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(600, 15 * 2**attempts))


async def deliver(pool: asyncpg.Pool, settings: Settings, org_id: UUID, mail_id: UUID) -> str:
    """Send one queued console mail; its row records the outcome (never raises for SMTP)."""
    now = datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(queries.MAIL_TO_SEND, org_id, mail_id)
        if row is None or row["state"] != "pending":
            return "none"
        if (
            not row["active"]
            or row["used_at"] is not None
            or (row["expires_at"] is not None and row["expires_at"] <= now)
        ):
            await conn.execute(
                queries.MARK_MAIL, org_id, mail_id, "skipped", 0, "no longer useful", now, now
            )
            return "skipped"
        if row["kind"] == "results":
            mail = await results_mail_for(conn, settings, org_id, row["wave_id"], row["person_id"])
            if mail is None:
                await conn.execute(
                    queries.MARK_MAIL, org_id, mail_id, "skipped", 0, "no longer wanted", now, now
                )
                return "skipped"
        else:
            mail = signin_mail(
                settings,
                person_id=row["person_id"],
                email=row["email"],
                name=row["display_name"],
                org=row["org_name"],
                locale=row["locale"],
                link_id=row["link_id"],
            )
        try:
            await send(settings, message(settings, mail, now))
        except (aiosmtplib.SMTPException, OSError, TimeoutError, RuntimeError, ValueError) as exc:
            attempts = row["attempts"] + 1
            state = "failed" if attempts >= MAX_ATTEMPTS else "pending"
            error = f"{type(exc).__name__}: {exc}"[:300]
            await conn.execute(
                queries.MARK_MAIL, org_id, mail_id, state, 1, error, now + _backoff(attempts), now
            )
            log.warning("console_mail.retry", state=state, error=type(exc).__name__)
            return state
        await conn.execute(queries.MARK_MAIL, org_id, mail_id, "sent", 1, None, now, now)
    return "sent"


async def kick(redis: Any, org_id: UUID, mail_id: UUID) -> None:
    """Nudge a worker to send now; a lost nudge is picked up by the sweeper within a minute."""
    try:
        await redis.enqueue_job(
            SEND_JOB, str(org_id), str(mail_id), _job_id=f"console-mail:{mail_id}"
        )
    except (TimeoutError, RedisError, OSError) as exc:
        log.warning("console_mail.kick_failed", error=type(exc).__name__)


async def send_console_mail(ctx: dict[str, Any], org_id: str, mail_id: str) -> str:
    """arq job: send one console mail."""
    return await deliver(ctx["pool"], ctx["settings"], UUID(org_id), UUID(mail_id))


async def sweep_console_mail(ctx: dict[str, Any], limit: int = 100) -> int:
    """arq cron: send every console mail that is due (after a lost nudge or a retry delay)."""
    pool: asyncpg.Pool = ctx["pool"]
    rows = await pool.fetch(queries.DUE_MAIL, datetime.now(UTC), limit)
    for r in rows:
        await deliver(pool, ctx["settings"], r["org_id"], r["id"])
    return len(rows)
