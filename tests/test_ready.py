"""/ready follows its backends: 503 while PostgreSQL or Redis is down, 200 once they are back."""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.embedded import EmbeddedPostgres, EmbeddedRedis
from service.migrate import migrate
from service.settings import load_settings
from tests.factories import TEST_SECRET
from tests.waiting import wait_for


@pytest.fixture
async def own_backends() -> AsyncIterator[tuple[EmbeddedPostgres, EmbeddedRedis, Any]]:
    """A PostgreSQL and a Redis of this test's own, so stopping them disturbs nobody else."""
    folder = Path(f"/tmp/cr-{secrets.token_hex(3)}")
    pg = EmbeddedPostgres(folder)
    redis = EmbeddedRedis(folder)
    dsn = await asyncio.to_thread(pg.start, "candor")
    conn = await asyncpg.connect(dsn)
    await migrate(conn)
    await conn.close()
    settings = load_settings(
        {
            "CANDOR_ENV": "test",
            "DATABASE_URL": dsn,
            "REDIS_URL": redis.start(),
            "SECRET_KEY": TEST_SECRET,
            "LOG_LEVEL": "ERROR",
        }
    )
    yield pg, redis, create_app(settings)
    redis.stop()
    pg.stop()
    shutil.rmtree(folder, ignore_errors=True)


async def _ready_until(client: Any, status: int, seconds: float = 20) -> dict[str, Any]:
    async def ready() -> Any:
        return await client.get("/ready")

    r = await wait_for(
        ready, lambda r: r.status_code == status, f"/ready to answer {status}", timeout=seconds
    )
    return r.json()  # type: ignore[no-any-return]


async def test_ready_turns_503_when_postgres_stops_and_200_when_it_is_back(
    own_backends: tuple[EmbeddedPostgres, EmbeddedRedis, Any],
) -> None:
    pg, _, app = own_backends
    async with AsyncTestClient(app=app) as client:
        assert (await _ready_until(client, 200))["postgres"] == "ok"
        await asyncio.to_thread(pg.server._stop)
        body = await _ready_until(client, 503)
        assert body == {"status": "unavailable", "postgres": "unavailable", "redis": "ok"}
        assert (await client.get("/health")).status_code == 200  # alive, just not ready
        await asyncio.to_thread(pg.server.ensure_postgres_running)
        assert (await _ready_until(client, 200))["postgres"] == "ok"


async def test_ready_turns_503_when_redis_stops_and_200_when_it_is_back(
    own_backends: tuple[EmbeddedPostgres, EmbeddedRedis, Any],
) -> None:
    _, redis, app = own_backends
    async with AsyncTestClient(app=app) as client:
        await _ready_until(client, 200)
        port = redis.port
        redis.stop()
        body = await _ready_until(client, 503)
        assert body["redis"] == "unavailable" and body["postgres"] == "ok"
        redis.port = port
        redis.start()
        await _ready_until(client, 200)
