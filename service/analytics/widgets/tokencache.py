"""An in-process cache of resolved widget tokens, invalidated through PostgreSQL NOTIFY.

A widget revalidation (If-None-Match -> 304) is the hottest path of the service; without this
cache each one costs a database round trip. Entries are kept only while a LISTEN connection is
up: triggers on `widget_tokens` and `waves` (sql/migrations/0006_widget_cache_notify.sql) notify
CHANNEL on any change (a revoke, an edited expiry, a wave that opens or closes), and every API
process empties its cache when the notification arrives, milliseconds after the commit. The
process that revokes also empties its own cache before answering, so "a revoked token stops
working at once" holds exactly there, and within milliseconds in every other process. Expiry is
checked locally on every hit. If the listening connection drops, the cache is emptied and
bypassed until it is back: nothing is served from a cache that could have missed a notice.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog

from .tokens import ResolvedToken, hash_token, looks_like_token, resolve_row

log = structlog.get_logger("candor.widgets.cache")

CHANNEL = "candor_widgets"
_MAX_ENTRIES = 10_000


class TokenCache:
    def __init__(self) -> None:
        self._entries: dict[bytes, tuple[ResolvedToken, datetime]] = {}
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def listening(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    def clear(self, *_: Any) -> None:
        self._entries.clear()

    async def resolve(self, pool: asyncpg.Pool, token: str) -> ResolvedToken | None:
        """Like tokens.resolve(), served from memory while invalidation is guaranteed."""
        if not looks_like_token(token):
            return None
        key = hash_token(token)
        if self.listening:
            hit = self._entries.get(key)
            if hit is not None and hit[1] > datetime.now(UTC):
                return hit[0]
        found = await resolve_row(pool, key)
        if found is None:
            self._entries.pop(key, None)
            return None
        resolved, expires_at = found
        if self.listening:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (resolved, expires_at)
        return resolved

    async def start(self, dsn: str) -> None:
        self._task = asyncio.create_task(self._listen_forever(dsn))

    async def stop(self) -> None:
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()

    async def _listen_once(self, dsn: str) -> None:
        conn = await asyncpg.connect(dsn, timeout=5)
        lost = asyncio.Event()

        def on_lost(_conn: object) -> None:
            self.clear()
            lost.set()

        await conn.add_listener(CHANNEL, self.clear)
        conn.add_termination_listener(on_lost)
        # Anything cached before this connection listened may have missed a notice.
        self.clear()
        self._conn = conn
        await lost.wait()

    async def _listen_forever(self, dsn: str) -> None:
        while not self._closing:
            try:
                await self._listen_once(dsn)
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                log.warning("widget_cache.listen_failed", error=type(exc).__name__)
            self.clear()
            self._conn = None
            await asyncio.sleep(1)
