"""Console mail: the sign-in link now, "results are in" later; written in the person's language.

Rows of `console_mail` are the queue (PostgreSQL is the record; Redis only nudges). The job
`send_console_mail` sends one row over its own SMTP connection (the SMTP_URL options are the
delivery slice's `smtp_options`); `sweep_console_mail` (every minute, and at worker start) sends
whatever is still pending, so a lost nudge delays a mail by a minute at most. A sign-in link's
token is derived here from the link id (see signin.py) and lives only in the mail itself.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path
from typing import Any
from uuid import UUID

import aiosmtplib
import asyncpg
import msgspec
import structlog
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from redis.exceptions import RedisError

from ..settings import Settings
from ..surveys.delivery import smtp_options
from . import i18n, queries
from .signin import link_token

log = structlog.get_logger("candor.console.mail")

SEND_JOB = "send_console_mail"
MAX_ATTEMPTS = 5
SMTP_TIMEOUT = 20.0

_env = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates" / "mail"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


class Mail(msgspec.Struct, frozen=True):
    """One message ready to send: who gets it, and its text and HTML bodies."""

    person_id: UUID
    recipient: str
    display_name: str
    locale: str
    subject: str
    text: str
    html: str


def render(template: str, locale: str, **context: Any) -> tuple[str, str]:
    """(text, html) of `template` in `locale`; `t` gives the template the console's words."""
    lang = i18n.pick(locale)

    def t(key: str, **kw: Any) -> str:
        return i18n.t(lang, key, **kw)

    text = _env.get_template(f"{template}_{lang}.txt").render(t=t, **context)
    html = _env.get_template(f"{template}_{lang}.html").render(t=t, lang=lang, **context)
    return text, html


def signin_mail(
    settings: Settings,
    *,
    person_id: UUID,
    email: str,
    name: str,
    org: str,
    locale: str,
    link_id: UUID,
) -> Mail:
    lang = i18n.pick(locale)
    link = f"{settings.public_base_url}/console/link/{link_token(settings.secret_key, link_id)}"
    subject = i18n.t(lang, "mail_signin_subject", org=org)
    text, html = render("signin", lang, name=name, org=org, link=link, subject=subject)
    return Mail(person_id, email, name, lang, subject, text, html)


def message(settings: Settings, mail: Mail, now: datetime) -> EmailMessage:
    msg = EmailMessage()
    name, addr = parseaddr(settings.mail_from)
    msg["From"] = formataddr((name, addr))
    msg["To"] = formataddr((" ".join(mail.display_name.split()), mail.recipient))
    msg["Subject"] = " ".join(mail.subject.split())
    msg["Date"] = format_datetime(now.astimezone(UTC))
    msg["Message-ID"] = make_msgid(domain=addr.rpartition("@")[2] or "candor")
    msg["Auto-Submitted"] = "auto-generated"
    msg["Content-Language"] = mail.locale
    msg.set_content(mail.text)
    msg.add_alternative(mail.html, subtype="html")
    return msg


async def send(settings: Settings, msg: EmailMessage) -> None:
    """One message over its own connection (console mail is rare: no pooling needed)."""
    if not settings.smtp_url:
        raise RuntimeError("SMTP_URL is not set")
    _, domain = parseaddr(settings.mail_from)
    options = smtp_options(
        settings.smtp_url,
        timeout=SMTP_TIMEOUT,
        local_hostname=domain.rpartition("@")[2] or "candor",
    )
    async with asyncio.timeout(SMTP_TIMEOUT * 3):
        await aiosmtplib.send(msg, **options)


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
