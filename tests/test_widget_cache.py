"""The widget-token cache answers from memory only while NOTIFY can invalidate it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from service.analytics.widgets.tokencache import TokenCache
from service.analytics.widgets.tokens import store_token
from tests.factories import Org, make_team_tree
from tests.waiting import wait_for, wait_until


class CountingPool:
    """The real pool, counting the queries the cache lets through."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.fetches = 0

    async def fetchrow(self, *args: Any) -> Any:
        self.fetches += 1
        return await self.pool.fetchrow(*args)


async def _listening(cache: TokenCache) -> None:
    await wait_until(lambda: cache.listening, "the cache to start listening", timeout=2)


async def test_hits_come_from_memory_and_a_database_change_empties_the_cache(
    pool: asyncpg.Pool, org: Org, database_url: str
) -> None:
    team = (await make_team_tree(pool, org.id, ["Crew"]))["Crew"]
    async with pool.acquire() as conn:
        token_id, _, token = await store_token(
            conn,
            org.id,
            team_id=team,
            subtree=True,
            allowed_origins=[],
            label="wiki",
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
    cache = TokenCache()
    await cache.start(database_url)
    counting = CountingPool(pool)
    try:
        await _listening(cache)
        first = await cache.resolve(counting, token)  # type: ignore[arg-type]
        again = await cache.resolve(counting, token)  # type: ignore[arg-type]
        assert first == again and first is not None
        assert counting.fetches == 1
        await pool.execute("UPDATE widget_tokens SET revoked_at = now() WHERE id = $1", token_id)
        await wait_for(
            lambda: cache.resolve(counting, token),  # type: ignore[arg-type]
            lambda found: found is None,
            "the revoked token to leave the cache",
            timeout=1,
        )
    finally:
        await cache.stop()


async def test_without_a_listening_connection_every_resolve_asks_the_database(
    pool: asyncpg.Pool, org: Org
) -> None:
    team = (await make_team_tree(pool, org.id, ["Crew"]))["Crew"]
    async with pool.acquire() as conn:
        _, _, token = await store_token(
            conn,
            org.id,
            team_id=team,
            subtree=True,
            allowed_origins=[],
            label="wiki",
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
    cache = TokenCache()  # never started: no invalidation, so no caching
    counting = CountingPool(pool)
    for _ in range(3):
        assert await cache.resolve(counting, token) is not None  # type: ignore[arg-type]
    assert counting.fetches == 3
