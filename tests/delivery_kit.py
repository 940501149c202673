"""Test kit for delivery: misbehaving real SMTP servers, a wave in one call, a burst worker.

The SMTP servers are real aiosmtpd servers on loopback ports; only their handlers misbehave
(a 451 for the first N messages, 550 for some addresses, a hang or a dropped connection during
DATA), so the client code under test talks real SMTP over real sockets.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from uuid import UUID

import asyncpg
from aiosmtpd.controller import Controller
from arq.worker import Worker

from service.embedded import free_port
from service.settings import Settings
from service.surveys.delivery import DeliveryConfig
from service.surveys.jobs import FUNCTIONS
from service.worker import redis_settings
from tests.factories import make_people, make_pulse, make_team_tree

LINK = re.compile(r"https?://[^\s\"<>]+/s/([A-Za-z0-9_-]{43})")

# Fast knobs for tests: short timeouts and backoffs, small batches so batches interleave.
FAST = DeliveryConfig(
    concurrency=4,
    batch_size=20,
    retry_base=0.05,
    retry_cap=0.2,
    max_attempts=6,
    smtp_timeout=1.0,
    lease_seconds=60,
    wait_horizon=5,
    max_job_seconds=60,
)


@dataclass
class Smtp:
    """A real aiosmtpd server whose DATA handler can be told to misbehave."""

    received: list[EmailMessage] = field(default_factory=list)
    calls: int = 0
    fail_first: int = 0  # answer 451 to the first N DATA commands
    reject: set[str] = field(default_factory=set)  # answer 550 to RCPT of these addresses
    hang_first: int = 0  # never answer the first N DATA commands (until the client gives up)
    drop_first: int = 0  # close the connection during the first N DATA commands
    delay: float = 0.0  # seconds to wait before accepting each message

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.reject:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.calls += 1
        n = self.calls
        if n <= self.fail_first:
            return "451 4.3.0 Try again later"
        if n <= self.fail_first + self.hang_first:
            await asyncio.sleep(30)
            return "451 4.4.2 Too slow"
        if n <= self.fail_first + self.hang_first + self.drop_first:
            server.transport.close()
            return "421 closing"
        if self.delay:
            await asyncio.sleep(self.delay)
        msg = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        assert isinstance(msg, EmailMessage)
        self.received.append(msg)
        return "250 OK queued"

    def recipients(self) -> Counter[str]:
        return Counter(str(m["To"].addresses[0].addr_spec) for m in self.received)


@contextmanager
def smtp_server(handler: Smtp, **controller_kwargs: Any) -> Iterator[str]:
    """Run `handler` on a loopback port; yields its smtp:// URL."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **controller_kwargs)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def with_smtp(settings: Settings, url: str) -> Settings:
    import msgspec

    return msgspec.structs.replace(settings, smtp_url=url)


@dataclass(frozen=True)
class Wave:
    org_id: UUID
    pulse_id: UUID
    wave_id: UUID
    people: list[UUID]
    team_id: UUID


async def open_test_wave(
    pool: asyncpg.Pool,
    org_id: UUID,
    settings: Settings,
    n: int,
    *,
    locale: str = "en",
    **pulse: Any,
) -> Wave:
    """A team of `n` people, a pulse over it, and its first wave opened (outbox filled)."""
    from service.surveys.waves import open_wave

    teams = await make_team_tree(pool, org_id, ["Crew"])
    people = await make_people(pool, org_id, teams["Crew"], n, locale=locale)
    pulse_id = await make_pulse(pool, org_id, [teams["Crew"]], **pulse)
    async with pool.acquire() as conn, conn.transaction():
        wave_id = await open_wave(conn, org_id, pulse_id, secret=settings.secret_key)
    return Wave(org_id, pulse_id, wave_id, people, teams["Crew"])


async def outbox_states(pool: asyncpg.Pool, wave_id: UUID) -> dict[str, int]:
    rows = await pool.fetch(
        """
        SELECT o.state, count(*) AS n FROM outbox o
        JOIN invitations i ON i.org_id = o.org_id AND i.id = o.invitation_id
        WHERE i.wave_id = $1 GROUP BY o.state
        """,
        wave_id,
    )
    return {r["state"]: r["n"] for r in rows}


def burst_worker(
    settings: Settings,
    database_url: str,
    config: DeliveryConfig = FAST,
    **overrides: Any,
) -> Worker:
    """An arq worker on the session's queue that runs until the queue is empty."""
    from service.db import create_pool

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        ctx["pool"] = await create_pool(settings, database_url)
        ctx["delivery_config"] = config

    async def shutdown(ctx: dict[str, Any]) -> None:
        await ctx["pool"].close()

    options: dict[str, Any] = {
        "functions": FUNCTIONS,
        "redis_settings": redis_settings(settings),
        "queue_name": settings.arq_queue,
        "burst": True,
        "poll_delay": 0,
        "keep_result": 0,
        "on_startup": startup,
        "on_shutdown": shutdown,
        "handle_signals": False,
        "max_jobs": 10,
    }
    options.update(overrides)
    return Worker(**options)


async def run_burst(worker_factory: Callable[[], Worker]) -> None:
    worker = worker_factory()
    try:
        await worker.main()
    finally:
        await worker.close()
