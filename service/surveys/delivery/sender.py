"""The send job: deliver a wave's pending outbox rows over SMTP.

`deliver_wave(ctx, org_id, wave_id)` runs `concurrency` senders. Each sender owns ONE SMTP
connection (never shared across tasks: aiosmtplib #15), claims a batch of due rows with
`FOR UPDATE SKIP LOCKED`, sends them one after another over that connection, and hands each
accepted row to `SentMarks`, which marks it sent within ~50 ms. Errors are sorted per message:

- 2xx: sent.
- 5xx on RCPT/MAIL/DATA, an address we cannot write, SMTPUTF8 unsupported: failed, with
  last_error shown to admins.
- 4xx, a dropped connection, a timeout or hang, anything unexpected: back to pending with
  exponential backoff; after `max_attempts` it is failed. The connection is dropped and
  reopened after any transport error (a half-read reply must never be reused, aiosmtplib #243).
- The server unreachable, or refusing our login: the whole claimed batch backs off.

No error escapes the job: a bad row or a bad server is a recorded state, never a crashed
worker. When rows are due again within a minute (short backoffs) the job waits for them;
later ones are picked up by the sweeper cron.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID, uuid4

import aiosmtplib
import asyncpg
import structlog

from ...settings import Settings, SettingsError
from . import outbox
from .mail import InvalidAddress, build_message, mail_domain
from .models import OutboxItem, OutgoingMail

log = structlog.get_logger("candor.delivery")

Outcome = Literal["sent", "failed", "retry", "skipped", "down"]


@dataclass(frozen=True)
class DeliveryConfig:
    """Knobs of the sender, read from the environment (DELIVERY_*, SMTP_TIMEOUT)."""

    concurrency: int = 4
    batch_size: int = 50
    retry_base: float = 30.0
    retry_cap: float = 3600.0
    max_attempts: int = 8
    smtp_timeout: float = 30.0
    lease_seconds: float = 900.0
    wait_horizon: float = 60.0
    max_job_seconds: float = 240.0
    messages_per_connection: int = 500

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DeliveryConfig:
        env = os.environ if env is None else env

        def num(name: str, default: float, lo: float, hi: float) -> float:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = float(raw)
            except ValueError:
                raise SettingsError(f"{name} must be a number") from None
            if not lo <= value <= hi:
                raise SettingsError(f"{name} must be between {lo:g} and {hi:g}")
            return value

        return cls(
            concurrency=int(num("DELIVERY_CONCURRENCY", cls.concurrency, 1, 64)),
            batch_size=int(num("DELIVERY_BATCH_SIZE", cls.batch_size, 1, 1000)),
            retry_base=num("DELIVERY_RETRY_SECONDS", cls.retry_base, 0.01, 86400),
            max_attempts=int(num("DELIVERY_MAX_ATTEMPTS", cls.max_attempts, 1, 50)),
            smtp_timeout=num("SMTP_TIMEOUT", cls.smtp_timeout, 0.1, 600),
            lease_seconds=num("DELIVERY_LEASE_SECONDS", cls.lease_seconds, 1, 86400),
        )


def smtp_options(url: str, *, timeout: float, local_hostname: str) -> dict[str, Any]:
    """aiosmtplib.SMTP keyword arguments for an SMTP_URL.

    smtp://host[:25]            plain, no STARTTLS even if offered (say what you mean)
    smtp+starttls://host[:587]  STARTTLS required
    smtps://host[:465]          implicit TLS
    user:password@ logs in; ?cafile=/path trusts a private CA; ?verify=false skips checks.
    """
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    options: dict[str, Any] = {
        "hostname": parts.hostname,
        "timeout": timeout,
        "local_hostname": local_hostname,
    }
    if parts.scheme == "smtps":
        options.update(use_tls=True, start_tls=False, port=parts.port or 465)
    elif parts.scheme == "smtp+starttls":
        options.update(use_tls=False, start_tls=True, port=parts.port or 587)
    elif parts.scheme == "smtp":
        options.update(use_tls=False, start_tls=False, port=parts.port or 25)
    else:
        raise ValueError("SMTP_URL must start with smtp://, smtps:// or smtp+starttls://")
    if parts.username:
        options["username"] = unquote(parts.username)
        options["password"] = unquote(parts.password or "")
    if "cafile" in query:
        options["cert_bundle"] = query["cafile"]
    if query.get("verify", "").lower() in ("false", "0", "no", "off"):
        options["validate_certs"] = False
    return options


class _ServerDown(Exception):
    """The SMTP server could not be reached or would not let us in."""


class SmtpSession:
    """One SMTP connection, reused for many messages, reopened after any trouble."""

    def __init__(self, options: dict[str, Any], config: DeliveryConfig) -> None:
        self.options = options
        self.config = config
        self.client: aiosmtplib.SMTP | None = None
        self.sent_here = 0

    async def _ensure(self) -> aiosmtplib.SMTP:
        if self.client is not None and self.client.is_connected:
            if self.sent_here < self.config.messages_per_connection:
                return self.client
            await self.close()
        client = aiosmtplib.SMTP(**self.options)
        try:
            await asyncio.wait_for(client.connect(), self.config.smtp_timeout * 2)
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            raise _ServerDown(_describe(exc)) from None
        self.client, self.sent_here = client, 0
        return client

    async def send(self, mail: OutgoingMail, sender: str) -> None:
        client = await self._ensure()
        # The per-command timeout does not bound a server that trickles bytes; this does
        # (asyncio.timeout, unlike wait_for, costs no extra task per message).
        async with asyncio.timeout(self.config.smtp_timeout * 3):
            await client.sendmail(sender, [mail.recipient], mail.data)
        self.sent_here += 1

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            if client.is_connected:
                await asyncio.wait_for(client.quit(), 2)
        except Exception:
            client.close()


def _describe(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        first = exc.recipients[0]
        code, message = first.code, first.message
    text = f"{code} {message}" if code else f"{type(exc).__name__}: {message}"
    return " ".join(text.split())[:500]


def _reply_code(exc: BaseException) -> int | None:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        return exc.recipients[0].code
    code = getattr(exc, "code", None)
    return code if isinstance(code, int) else None


class Sender:
    """Delivers claimed rows over its own SmtpSession and records every outcome."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: Settings,
        config: DeliveryConfig,
        options: dict[str, Any],
        marks: outbox.SentMarks,
    ) -> None:
        self.pool = pool
        self.marks = marks
        self.settings = settings
        self.config = config
        self.session = SmtpSession(options, config)
        self.envelope_from = parseaddr(settings.mail_from)[1]
        self.claim = uuid4()
        self.counts: dict[str, int] = {}

    def _delay(self, item: OutboxItem) -> float:
        return outbox.backoff_seconds(item.attempts, self.config.retry_base, self.config.retry_cap)

    async def _retry(self, item: OutboxItem, error: str) -> Outcome:
        await outbox.mark_retry(
            self.pool,
            item,
            self.claim,
            error,
            delay=self._delay(item),
            max_attempts=self.config.max_attempts,
        )
        return "retry"

    async def deliver(self, item: OutboxItem) -> Outcome:
        if item.wave_state != "open":
            await outbox.mark_skipped(self.pool, item, self.claim, "wave closed before sending")
            return "skipped"
        if item.opted_out:
            await outbox.mark_skipped(self.pool, item, self.claim, "opted out")
            return "skipped"
        if item.responded:
            await outbox.mark_skipped(self.pool, item, self.claim, "already responded")
            return "skipped"
        try:
            mail = build_message(self.settings, item)
        except InvalidAddress as exc:
            await outbox.mark_failed(self.pool, item, self.claim, str(exc))
            return "failed"
        try:
            await self.session.send(mail, self.envelope_from)
        except _ServerDown as exc:
            await self._retry(item, f"SMTP server unavailable: {exc}")
            return "down"
        except (aiosmtplib.SMTPNotSupported, ValueError) as exc:
            await outbox.mark_failed(self.pool, item, self.claim, _describe(exc))
            return "failed"
        except aiosmtplib.SMTPSenderRefused as exc:
            # Our MAIL FROM refused is a configuration problem, not this person's: retry (with
            # backoff) so fixing MAIL_FROM in time still reaches everyone.
            return await self._retry(item, _describe(exc))
        except aiosmtplib.SMTPResponseException as exc:
            return await self._reply_error(item, exc)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            return await self._reply_error(item, exc)
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            await self.session.close()
            return await self._retry(item, _describe(exc) or "timed out")
        except Exception as exc:
            log.exception("delivery.unexpected_error", outbox_id=str(item.id))
            await self.session.close()
            return await self._retry(item, _describe(exc))
        self.marks.add(item, self.claim, mail.message_id)
        return "sent"

    async def _reply_error(self, item: OutboxItem, exc: BaseException) -> Outcome:
        code = _reply_code(exc)
        if code == 421 or code is None or code < 500:
            if code in (421, None):  # the server is closing this session
                await self.session.close()
            return await self._retry(item, _describe(exc))
        await outbox.mark_failed(self.pool, item, self.claim, _describe(exc))
        return "failed"

    async def run(self, org_id: UUID, wave_id: UUID) -> dict[str, int]:
        """Claim and send batches until none are due; back off when the server is down."""
        untried: list[OutboxItem] = []
        try:
            while True:
                items = await outbox.claim_batch(
                    self.pool, org_id, wave_id, self.claim, self.config.batch_size
                )
                if not items:
                    return self.counts
                untried = list(items)
                while untried:
                    item = untried.pop(0)
                    outcome = await self.deliver(item)
                    self.counts[outcome] = self.counts.get(outcome, 0) + 1
                    if outcome == "down":
                        # Every other claimed row would meet the same closed door.
                        for rest in untried:
                            await self._retry(rest, "SMTP server unavailable")
                        untried = []
                        return self.counts
        except asyncio.CancelledError:
            # Shutdown: hand back what was never tried. The row being sent (if any) stays
            # 'sending' until the lease runs out, as we cannot know if the server took it.
            await asyncio.shield(outbox.release(self.pool, untried, self.claim))
            raise
        finally:
            await self.session.close()


async def deliver_pending(
    pool: asyncpg.Pool, settings: Settings, config: DeliveryConfig, org_id: UUID, wave_id: UUID
) -> dict[str, int]:
    """Send everything of one wave that is due, waiting for short backoffs; outcome counts."""
    if not settings.smtp_url:
        log.error("delivery.no_smtp_url", wave_id=str(wave_id))
        return {}
    options = smtp_options(
        settings.smtp_url, timeout=config.smtp_timeout, local_hostname=mail_domain(settings)
    )
    started = time.monotonic()
    totals: dict[str, int] = {}
    marks = outbox.SentMarks(pool)
    try:
        while True:
            senders = [
                Sender(pool, settings, config, options, marks) for _ in range(config.concurrency)
            ]
            for counts in await asyncio.gather(*(s.run(org_id, wave_id) for s in senders)):
                for key, value in counts.items():
                    totals[key] = totals.get(key, 0) + value
            await marks.flush()
            wait = await outbox.seconds_until_next_due(pool, org_id, wave_id)
            left = config.max_job_seconds - (time.monotonic() - started)
            if wait is None or wait > min(config.wait_horizon, left):
                break
            await asyncio.sleep(wait)
    finally:
        await asyncio.shield(marks.close())
    log.info("delivery.done", wave_id=str(wave_id), **totals)
    return totals


async def deliver_wave(ctx: dict[str, Any], org_id: str, wave_id: str) -> dict[str, int]:
    """arq job: deliver a wave's pending emails (queued by kick_delivery and the sweeper)."""
    config: DeliveryConfig = ctx.get("delivery_config") or DeliveryConfig.from_env()
    try:
        return await deliver_pending(
            ctx["pool"], ctx["settings"], config, UUID(org_id), UUID(wave_id)
        )
    except (asyncpg.PostgresError, OSError) as exc:
        # The rows are safe in Postgres; the sweeper queues this wave again.
        log.error("delivery.aborted", wave_id=wave_id, error=type(exc).__name__)
        return {}
