"""Limits live in Redis (shared by every API process) and never make Redis a hard dependency."""

from __future__ import annotations

import secrets
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


async def test_brute_forcing_respondent_tokens_finds_nothing_and_meets_429s(
    settings: Settings, pool: Any
) -> None:
    from service.ratelimit import RESPOND

    async with AsyncTestClient(app=_app(settings)) as c:
        statuses: list[int] = []
        retry_after: set[str] = set()
        # Twice the limit, so the limit is crossed even if a window boundary falls inside.
        for _ in range(2 * RESPOND.requests + 10):
            guess = secrets.token_urlsafe(32)
            r = await c.get(f"/s/{guess}")
            statuses.append(r.status_code)
            if r.status_code == 429:
                retry_after.add(r.headers["retry-after"])
                assert r.headers["content-type"].startswith("text/html")  # a page for a person
        assert set(statuses) == {404, 429}
        assert retry_after and all(int(v) > 0 for v in retry_after)
        # The JSON twin shares the bucket and answers in problem details.
        r = await c.post(f"/api/v1/respond/{secrets.token_urlsafe(32)}", json={"answers": {}})
        assert r.status_code == 429
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "retry-after" in r.headers


async def test_widget_routes_are_limited_per_address(settings: Settings, pool: Any) -> None:
    from service.ratelimit import WIDGET

    async with AsyncTestClient(app=_app(settings)) as c:
        statuses = [
            (await c.get("/embed/v1/trend.json", params={"token": "cwt_nope"})).status_code
            for _ in range(2 * WIDGET.requests + 10)
        ]
        assert 429 in statuses
        assert 200 not in statuses
