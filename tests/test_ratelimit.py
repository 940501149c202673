"""Limits live in Redis (shared by every API process) and never make Redis a hard dependency."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.embedded import free_port
from service.settings import Settings
from tests.conftest import Org


def _app(settings: Settings, **changes: Any) -> Any:
    return create_app(msgspec.structs.replace(settings, rate_limit_enabled=True, **changes))


@pytest.fixture
async def two_processes(settings: Settings, pool: Any) -> AsyncIterator[tuple[Any, Any]]:
    """Two independent app instances, as two API processes would be, on the same Redis."""
    async with AsyncTestClient(app=_app(settings)) as a, AsyncTestClient(app=_app(settings)) as b:
        yield a, b


async def test_failed_key_attempts_are_limited_across_processes(
    two_processes: tuple[Any, Any], org: Org
) -> None:
    a, b = two_processes
    bad = {"Authorization": "Bearer cnd_" + "x" * 43}
    statuses = [
        (await (a if i % 2 else b).get("/api/v1/org", headers=bad)).status_code for i in range(21)
    ]
    assert statuses == [401] * 21
    r = await a.get("/api/v1/org", headers=bad)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
    assert r.headers["content-type"].startswith("application/problem+json")
    # The lock-out is per address, and holds for the other process too, even with a real key.
    assert (await b.get("/api/v1/org", headers=org.headers)).status_code == 429


async def test_limits_fail_open_when_redis_is_unreachable(settings: Settings, org: Org) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    async with AsyncTestClient(app=_app(settings, redis_url=dead)) as c:
        bad = {"Authorization": "Bearer cnd_" + "y" * 43}
        for _ in range(25):
            assert (await c.get("/api/v1/org", headers=bad)).status_code == 401
        assert (await c.get("/api/v1/org", headers=org.headers)).status_code == 200
