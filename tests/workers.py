"""The arq worker as tests run it: in burst mode on the session's queue, with fast delivery knobs.

    await run_burst(lambda: burst_worker(with_smtp(settings, url), database_url))
    assert await outbox_states(pool, wave.wave_id) == {"sent": 6}

A burst worker runs until the queue is empty and then stops, so a test awaits it instead of
waiting for mail to trickle in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import asyncpg
from arq.worker import Worker

from service.settings import Settings
from service.surveys.delivery import DeliveryConfig
from service.surveys.jobs import FUNCTIONS
from service.worker import redis_settings

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


async def outbox_states(pool: asyncpg.Pool, wave_id: UUID) -> dict[str, int]:
    """How many of a wave's outbox rows are in each state."""
    rows = await pool.fetch(
        """
        SELECT o.state, count(*) AS n FROM outbox o
        JOIN invitations i ON i.org_id = o.org_id AND i.id = o.invitation_id
        WHERE i.wave_id = $1 GROUP BY o.state
        """,
        wave_id,
    )
    return {r["state"]: r["n"] for r in rows}
