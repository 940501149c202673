"""Limits live in Redis (shared by every API process) and never make Redis a hard dependency."""

from __future__ import annotations

import contextlib
import secrets
import socket
import threading
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from service import ratelimit
from service.app import create_app
from service.embedded import free_port
from service.ratelimit import CircuitBreaker
from service.settings import Settings
from tests.factories import Org


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
        # The JSON twin shares the bucket and answers in problem details (if a new window began
        # just now, it is crossed again within one more limit's worth of requests).
        for _ in range(RESPOND.requests + 2):
            r = await c.post(f"/api/v1/respond/{secrets.token_urlsafe(32)}", json={"answers": {}})
            if r.status_code == 429:
                break
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


class RedisThatHangs:
    """A TCP server in front of Redis: while `hanging`, it accepts connections and reads
    commands but never answers; otherwise it passes bytes through to the real Redis.

    It runs on threads of its own: the test client blocks the test's event loop while the app
    handles a request, so a server on that loop could not answer the app."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 6379)
        self.db = parts.path.strip("/") or "0"  # the same database as the upstream URL's
        self.hanging = True
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.sockets: list[socket.socket] = []
        self.swallowed: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.listener.getsockname()[1]}/{self.db}"

    def resume(self) -> None:
        """Pass bytes through from now on, and drop the connections swallowed while hanging
        (their clients reconnect, through to Redis)."""
        self.hanging = False
        for sock in list(self.swallowed):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.listener.accept()
                self.sockets.append(conn)
                if self.hanging:
                    self.swallowed.append(conn)
                    threading.Thread(target=self._swallow, args=(conn,), daemon=True).start()
                else:
                    up = socket.create_connection(self.upstream)
                    self.sockets.append(up)
                    for a, b in ((conn, up), (up, conn)):
                        threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _swallow(conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while conn.recv(65536):
                pass

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        for sock in [self.listener, *self.sockets]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


async def _timed(c: Any, url: str, **kw: Any) -> tuple[int, float]:
    start = time.perf_counter()
    r = await c.get(url, **kw)
    return r.status_code, time.perf_counter() - start


async def test_a_hung_redis_trips_the_breaker_and_requests_stop_waiting_for_it(
    settings: Settings, pool: Any, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from redis.asyncio import Redis

    # A long wait for Redis keeps "waited for it" and "did not" far apart on a busy machine.
    monkeypatch.setattr(ratelimit, "REDIS_TIMEOUT", 1.0)
    hung = RedisThatHangs(redis_url)
    try:
        app = _app(settings, redis_url=hung.url)
        async with AsyncTestClient(app=app) as c:
            # The breaker's clock runs with the real one, plus whatever the test moves it on.
            moved = [0.0]
            breaker = app.state.rate_limit_breaker = CircuitBreaker(
                failures=3, cooldown=3.0, clock=lambda: time.monotonic() + moved[0]
            )
            page = f"/s/{secrets.token_urlsafe(32)}"
            # The first requests each wait for the limiter's timeout, until the breaker opens.
            first = [await _timed(c, page) for _ in range(3)]
            assert all(status == 404 and took >= 1.0 for status, took in first), first
            # While it is open, requests (rate-limited ones and failed keys alike) pay nothing.
            opened = time.perf_counter()
            fast = [await _timed(c, page) for _ in range(10)]
            bad = {"Authorization": "Bearer cnd_" + "z" * 43}
            fast += [await _timed(c, "/api/v1/org", headers=bad) for _ in range(10)]
            assert time.perf_counter() - opened < breaker.cooldown, "too slow to judge"
            assert {status for status, _ in fast} == {401, 404}
            assert max(took for _, took in fast) < 0.5, fast
            # After the cool-down, one request probes Redis (still hung: it waits, and the
            # breaker opens again); the ones after it pay nothing.
            moved[0] += breaker.cooldown  # the cool-down has passed
            status, took = await _timed(c, page)
            assert status == 404 and took >= 1.0
            again = [await _timed(c, page) for _ in range(5)]
            assert max(took for _, took in again) < 0.5, again
            # Redis answers again: a probe after the cool-down closes the breaker (a probe that
            # lands on a connection the hang left behind fails and waits one more cool-down),
            # and from then on every request counts again.
            hung.resume()
            for _ in range(5):
                moved[0] += breaker.cooldown  # the cool-down has passed
                assert (await c.get(page)).status_code == 404
                if not breaker.is_open:
                    break
            assert not breaker.is_open
            real = Redis.from_url(redis_url)
            try:

                async def counted() -> int:
                    keys = await real.keys("candor:rl:respond:*")
                    return sum([int(await real.get(k) or 0) for k in keys])

                before = await counted()
                for _ in range(5):
                    assert (await c.get(page)).status_code == 404
                assert await counted() == before + 5
            finally:
                await real.aclose()
    finally:
        hung.close()


async def test_redis_never_holds_a_clients_address_and_the_key_changes_daily(
    settings: Settings, pool: Any, redis_url: str
) -> None:
    from redis.asyncio import Redis

    from service.ratelimit import client_key

    async with AsyncTestClient(app=_app(settings)) as c:
        forwarded = {"X-Forwarded-For": "203.0.113.77"}
        for _ in range(3):
            await c.get(f"/s/{secrets.token_urlsafe(32)}", headers=forwarded)
    r = Redis.from_url(redis_url)
    keys = [k.decode() for k in await r.keys("candor:rl:*")]
    await r.aclose()
    assert keys, "the limiter counted nothing"
    for key in keys:
        assert "testclient" not in key and "203.0.113" not in key and "127.0.0.1" not in key
    # The hash is keyed: not the plain digest, and a new day gives another one.
    today = client_key("203.0.113.77", settings.secret_key, today="2026-12-02")
    tomorrow = client_key("203.0.113.77", settings.secret_key, today="2026-12-03")
    assert today != tomorrow and len(today) == 32
    assert today == client_key("203.0.113.77", settings.secret_key, today="2026-12-02")
