"""What every command needs before it can work: a reachable database, migrated.

`candor` subcommands, `candor dev` and the surveys' import command share these, so none of them
imports another's internals. A failure is a `CliError` (or, for a missing setting, a
`SettingsError`): one line, no traceback.

The embedded PostgreSQL is for try-outs and tests only: in production, `database()` never starts
it, and a missing DATABASE_URL is an error naming the variable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .settings import Settings, SettingsError


class CliError(Exception):
    """A failure explained in one line."""


def describe_dsn(dsn: str) -> str:
    """Where a DSN points, without user or password."""
    parts = urlsplit(dsn)
    if parts.hostname:
        return f"{parts.hostname}:{parts.port or 5432}{parts.path}"
    return f"local socket{parts.path}"


async def connect_checked(dsn: str, timeout: float = 5.0) -> Any:
    from .db import connect

    try:
        return await asyncio.wait_for(connect(dsn), timeout)
    except (OSError, TimeoutError) as exc:
        raise CliError(
            f"cannot reach PostgreSQL at {describe_dsn(dsn)} ({type(exc).__name__})"
        ) from None
    except Exception as exc:  # asyncpg's auth / missing database errors
        raise CliError(f"cannot connect to PostgreSQL at {describe_dsn(dsn)}: {exc}") from None


def describe_redis(url: str) -> str:
    """Where a REDIS_URL points, without user or password."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"local socket {parts.path}"
    return f"{parts.hostname}:{parts.port or 6379}{parts.path or '/0'}"


async def ping_redis(url: str, timeout: float = 5.0) -> None:
    from redis.asyncio import Redis
    from redis.exceptions import AuthenticationError, RedisError, ResponseError

    client = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        await asyncio.wait_for(client.ping(), timeout + 1)
    except (AuthenticationError, ResponseError) as exc:  # the server answered, and said no
        raise CliError(f"cannot use Redis at {describe_redis(url)}: {exc}") from None
    except (RedisError, OSError, TimeoutError) as exc:
        cause = exc.__cause__ or exc.__context__ or exc
        raise CliError(
            f"cannot reach Redis at {describe_redis(url)} ({type(cause).__name__})"
        ) from None
    finally:
        await client.aclose()


def check_reachable(settings: Settings) -> None:
    """Fail with one line unless PostgreSQL and Redis both answer (before a server starts)."""

    async def go() -> None:
        if settings.database_url:
            conn = await connect_checked(settings.database_url)
            await conn.close()
        if settings.redis_url:
            await ping_redis(settings.redis_url)

    asyncio.run(go())


def database(settings: Settings) -> AbstractContextManager[str]:
    """The configured DATABASE_URL, or (dev and tests only) the embedded server."""
    if settings.database_url:
        return nullcontext(settings.database_url)
    from . import devrecord

    folder = Path(settings.data_dir)
    if settings.environment == "production":
        # Starting a private embedded server here would create data that no running server
        # sees (an org whose key the real API then rejects).
        raise SettingsError(
            "DATABASE_URL is not set, and no `candor dev` is running on "
            f"{folder.resolve()}; set DATABASE_URL=postgresql://user:pass@host:5432/db"
        )
    if devrecord.lock_held(folder):
        raise CliError(f"`candor dev` is starting on {folder}; run this again once it is up")
    from .embedded import EmbeddedError, EmbeddedPostgres

    class _Embedded:
        def __enter__(self) -> str:
            self.pg = EmbeddedPostgres(Path(settings.data_dir))
            try:
                return self.pg.start()
            except EmbeddedError as exc:
                raise CliError(str(exc)) from None

        def __exit__(self, *exc: object) -> None:
            self.pg.stop()

    return _Embedded()


async def run_migrations(dsn: str) -> list[str]:
    from .migrate import MigrationError, migrate

    conn = await connect_checked(dsn)
    try:
        return await migrate(conn)
    except MigrationError as exc:
        raise CliError(f"migration refused: {exc}") from None
    finally:
        await conn.close()


def with_db(settings: Settings, fn: Callable[[Any], Coroutine[Any, Any, Any]]) -> Any:
    async def run(dsn: str) -> Any:
        await run_migrations(dsn)
        conn = await connect_checked(dsn)
        try:
            return await fn(conn)
        finally:
            await conn.close()

    with database(settings) as dsn:
        return asyncio.run(run(dsn))
