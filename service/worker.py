"""The arq worker: settings built from the same Settings as the API, and every job registered.

Jobs are plain `async def job(ctx, ...)` functions living in their domain; this module only
collects them. `ctx` carries the asyncpg pool and the settings. Postgres is the record of all
pending work, so a lost Redis or a killed worker loses nothing (see surveys/delivery/outbox.py).
"""

from __future__ import annotations

import asyncio
import os
import socket
from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.worker import Worker, check_health

from .db import create_pool
from .observe import configure_logging
from .settings import Settings, get_settings


def redis_settings(settings: Settings) -> RedisSettings:
    rs = RedisSettings.from_dsn(settings.redis_url or "redis://127.0.0.1:6379/0")
    rs.conn_timeout = 2
    rs.conn_retries = 30  # ~1 minute of waiting for Redis to come back before giving up
    rs.conn_retry_delay = 2
    return rs


def health_key(settings: Settings) -> str:
    # One key per worker (arq #291: a shared key is deleted by whichever worker stops first).
    name = os.environ.get("WORKER_NAME") or socket.gethostname()
    return f"{settings.arq_queue}:health-check:{name}"


def _jobs() -> tuple[list[Any], list[Any]]:
    """(functions, cron jobs) from every domain."""
    from .console import jobs as console_jobs
    from .surveys import jobs as survey_jobs

    functions = [*survey_jobs.FUNCTIONS, *console_jobs.FUNCTIONS]
    crons = [cron(fn, **spec) for fn, spec in [*survey_jobs.CRONS, *console_jobs.CRONS]]
    return functions, crons


def worker_settings(settings: Settings | None = None, **overrides: Any) -> dict[str, Any]:
    settings = settings or get_settings()
    from .closing import after_close
    from .surveys.delivery import DeliveryConfig

    # Read (and checked) once, before the worker starts: a bad DELIVERY_* value stops start-up.
    delivery = DeliveryConfig.from_env()

    async def on_startup(ctx: dict[str, Any]) -> None:
        configure_logging(settings.log_level, settings.log_format)
        ctx["settings"] = settings
        ctx["delivery_config"] = delivery
        ctx["pool"] = await create_pool(settings)
        ctx["after_close"] = after_close

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        pool = ctx.get("pool")
        if pool is not None:
            await pool.close()

    functions, crons = _jobs()
    options: dict[str, Any] = {
        "functions": functions,
        "cron_jobs": crons,
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "redis_settings": redis_settings(settings),
        "queue_name": settings.arq_queue,
        "health_check_key": health_key(settings),
        "health_check_interval": 10,
        "max_jobs": 20,
        "job_timeout": 300,
        # Results are not needed (Postgres holds outcomes) and kept results would block
        # re-enqueueing the same deterministic job id (arq #432).
        "keep_result": 0,
        "max_tries": 5,
    }
    options.update(overrides)
    return options


def run_worker(settings: Settings | None = None) -> None:
    from .bootstrap import check_reachable

    settings = settings or get_settings()
    options = worker_settings(settings)
    # Unreachable at start-up is a configuration problem: one line now, rather than a minute
    # of Redis retries and a traceback. Outages once running are still ridden out.
    check_reachable(settings)
    asyncio.run(_run(options))


async def _run(options: dict[str, Any]) -> None:
    worker = Worker(**options)
    try:
        await worker.async_run()
    except asyncio.CancelledError:
        pass  # SIGTERM/SIGINT: arq cancels its main task to stop; that is a clean exit
    finally:
        await worker.close()


def health_check(settings: Settings | None = None) -> int:
    """0 when this host's worker refreshed its health key recently, else 1 (for orchestrators)."""
    conf = settings or get_settings()
    rs = redis_settings(conf)
    rs.conn_retries = 0  # an orchestrator's probe should answer now, not after a minute
    options = {
        "redis_settings": rs,
        "health_check_key": health_key(conf),
        "queue_name": conf.arq_queue,
    }
    return int(check_health(options))
