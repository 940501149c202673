"""Rate limits kept in Redis, so they hold across every API process.

A fixed window per (bucket, client address): INCR + EXPIRE in one round trip. Limits protect
token-bearing routes (respondent page and submit, widgets) from brute force and admin auth
from key guessing. When Redis is unreachable the limiter lets requests through: answering a
survey or reading a trend must not depend on Redis (PostgreSQL is the record), and a short
timeout keeps a dead Redis from slowing requests down.

A Redis that hangs (accepts, never answers) would still cost every request that timeout. So a
circuit breaker per API process stops asking after a few failures in a row: while it is open,
limits are skipped at no cost; after a cool-down one request probes Redis again, and a success
closes the breaker.

Redis never holds a client's address: a limit is counted under a keyed hash of it, with a key
derived from SECRET_KEY and the date (UTC), so it changes every day. Together with the time
window in the key name, a raw address next to "answered in this minute" would be exactly the
live signal the anonymity model rules out.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from litestar import MediaType, Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import State

from .errors import TooManyRequests

log = structlog.get_logger("candor.ratelimit")


def client_address(request: ASGIConnection[Any, Any, Any, Any], trust_forwarded: bool) -> str:
    """The caller's address; behind a trusted proxy, the last hop it recorded."""
    if trust_forwarded:
        forwarded = request.headers.get("x-forwarded-for", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-1][:64]
    client = request.client
    return client.host if client else "unknown"


_day_keys: dict[tuple[str, str], bytes] = {}


def client_key(address: str, secret: str, *, today: str | None = None) -> str:
    """What a limit is counted under: a keyed hash of the address, the key new every day."""
    day = today or datetime.now(UTC).strftime("%Y-%m-%d")
    key = _day_keys.get((secret, day))
    if key is None:
        key = hmac.new(secret.encode(), b"candor-ratelimit:" + day.encode(), "sha256").digest()
        _day_keys.clear()  # yesterday's key is of no use any more
        _day_keys[(secret, day)] = key
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class Limit:
    bucket: str
    requests: int
    per_seconds: int


_last_warning = [-1e9]  # when the "Redis unavailable" warning was last logged
REDIS_TIMEOUT = 0.25  # seconds a limit check waits for Redis before letting the request through


class CircuitBreaker:
    """Closed: every request asks Redis. Open (after `failures` failures in a row): nobody does
    until `cooldown` seconds have passed. Then half-open: one request probes; its success closes
    the breaker, its failure opens it for another cool-down. Single-threaded (one event loop)."""

    def __init__(
        self, failures: int = 3, cooldown: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures = failures
        self.cooldown = cooldown
        self._clock = clock  # seconds, monotonic; tests pass one they can move forward
        self._failed = 0  # failures in a row
        self._blocked_until = 0.0  # monotonic; while open, and while a probe is out

    @property
    def is_open(self) -> bool:
        return self._failed >= self.failures

    def allow(self) -> bool:
        if not self.is_open:
            return True
        now = self._clock()
        if now < self._blocked_until:
            return False
        # This caller is the probe. Nobody else asks until it reports back, or (should it never,
        # e.g. cancelled with its request) until another cool-down has passed.
        self._blocked_until = now + self.cooldown
        return True

    def succeeded(self) -> None:
        if self.is_open:
            log.info("rate_limit_redis_back")
        self._failed = 0

    def failed(self) -> None:
        self._failed += 1
        if self._failed == self.failures:
            log.warning("rate_limit_breaker_open", cooldown_s=self.cooldown)
        if self.is_open:
            self._blocked_until = self._clock() + self.cooldown


def _warn_unavailable(bucket: str, error: str) -> None:
    now = time.monotonic()
    if now - _last_warning[0] > 30:
        _last_warning[0] = now
        log.warning("rate_limit_unavailable", bucket=bucket, error=error)


# Generous for people (a whole office may answer from one NAT address within minutes),
# hopeless for guessing 256-bit tokens.
RESPOND = Limit("respond", 300, 60)
WIDGET = Limit("widget", 600, 60)
AUTH_FAILURES = Limit("auth-fail", 20, 300)


async def _hit(state: State, key: str, limit: Limit, consume: bool = True) -> tuple[int, int]:
    """(count in the current window, seconds until it resets)."""
    redis = state.redis
    window = int(time.time()) // limit.per_seconds
    full = f"candor:rl:{limit.bucket}:{key}:{window}"
    if consume:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.incr(full)
            pipe.expire(full, limit.per_seconds + 1)
            count, _ = await asyncio.wait_for(pipe.execute(), timeout=REDIS_TIMEOUT)
    else:
        raw = await asyncio.wait_for(redis.get(full), timeout=REDIS_TIMEOUT)
        count = int(raw or 0)
    reset = limit.per_seconds - int(time.time()) % limit.per_seconds
    return int(count), reset


async def enforce(
    request: ASGIConnection[Any, Any, Any, State], limit: Limit, consume: bool = True
) -> None:
    """Raise 429 with Retry-After once the caller is over `limit`; let through if Redis is away."""
    state = request.app.state
    settings = state.settings
    if not settings.rate_limit_enabled:
        return
    breaker: CircuitBreaker = state.rate_limit_breaker
    if not breaker.allow():  # Redis failed just now: fail open without waiting for it
        _warn_unavailable(limit.bucket, "CircuitOpen")
        return
    key = client_key(client_address(request, settings.trust_forwarded_for), settings.secret_key)
    try:
        count, reset = await _hit(state, key, limit, consume)
    except Exception as exc:  # Redis down or slow: fail open, say so in the log (not per request)
        breaker.failed()
        _warn_unavailable(limit.bucket, type(exc).__name__)
        return
    breaker.succeeded()
    if count > limit.requests:
        raise TooManyRequests(
            "Too many requests; please wait a moment and try again.",
            headers={"Retry-After": str(reset)},
        )


_SLOW_DOWN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>One moment</title></head>
<body><main><h1>One moment, please</h1>
<p>Many answers arrived from your network at once. Please wait a minute and reload this page;
your link still works.</p>
<p lang="nl">Er kwamen veel antwoorden tegelijk binnen vanaf uw netwerk. Wacht een minuut en laad
deze pagina opnieuw; uw link werkt nog steeds.</p></main></body></html>"""


def limited(limit: Limit, page: bool = False) -> Any:
    """A litestar `before_request` hook enforcing `limit` on a route.

    With `page=True` the 429 is a small friendly page for a person instead of problem details.
    """

    async def hook(request: Request[Any, Any, State]) -> Response[str] | None:
        try:
            await enforce(request, limit)
        except TooManyRequests as exc:
            if not page:
                raise
            return Response(
                _SLOW_DOWN_PAGE,
                status_code=429,
                media_type=MediaType.HTML,
                headers={**(exc.headers or {}), "Cache-Control": "no-store"},
            )
        return None

    return hook


class AuthFailureLimiter:
    """Counts failed API-key attempts per address; refuses an address over the limit."""

    async def check(self, request: ASGIConnection[Any, Any, Any, State]) -> None:
        await enforce(request, AUTH_FAILURES, consume=False)

    async def record_failure(self, request: ASGIConnection[Any, Any, Any, State]) -> None:
        # This request already fails with 401; the next one from this address gets the 429.
        with contextlib.suppress(TooManyRequests):
            await enforce(request, AUTH_FAILURES)
