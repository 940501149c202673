"""The PostgreSQL connection pool and the small helpers every domain uses to reach it.

The pool is created in the app's lifespan (never at import time) and handed to handlers through
the `db` dependency. json/jsonb columns are encoded and decoded with msgspec on every connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import msgspec

from .settings import Settings

Pool = asyncpg.Pool
Connection = asyncpg.Connection

_json_encode = msgspec.json.Encoder().encode
_json_decode = msgspec.json.Decoder().decode


async def _init_connection(conn: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name,
            encoder=lambda v: _json_encode(v).decode(),
            decoder=_json_decode,
            schema="pg_catalog",
        )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release hook that skips asyncpg's default reset query (one round trip per request).

    asyncpg still rolls back any open transaction before this runs. Skipping the rest is safe
    because pooled connections never change session state: only transaction-scoped settings
    (SET LOCAL) and locks (pg_advisory_xact_lock), no LISTEN, no cursors outside transactions.
    Keep it that way, or restore the default reset.
    """


async def connect(dsn: str) -> asyncpg.Connection:
    """One connection with the service's codecs (for the CLI, migrations and tests)."""
    conn = await asyncpg.connect(dsn)
    await _init_connection(conn)
    return conn


async def create_pool(settings: Settings, dsn: str | None = None) -> asyncpg.Pool:
    dsn = dsn or settings.database_url
    if not dsn:
        raise RuntimeError("no database configured")
    pool = await asyncpg.create_pool(
        dsn,
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        init=_init_connection,
        reset=_keep_session,
        # A query that hangs (a dropped server, a lock) should surface, not pile up requests.
        command_timeout=30,
        max_inactive_connection_lifetime=300,
        server_settings={"application_name": "candor"},
    )
    assert pool is not None
    return pool


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[Any]:
    """Acquire a connection and run the block in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        yield conn


def record_to(struct: type[Any], record: asyncpg.Record | None) -> Any:
    """Build a msgspec Struct from a record whose column names match its fields."""
    if record is None:
        return None
    return msgspec.convert(dict(record.items()), struct, from_attributes=False)
