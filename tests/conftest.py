"""Shared fixtures (only fixtures): real PostgreSQL, Redis, SMTP and the app under test.

PostgreSQL comes from TEST_DATABASE_URL (a server where we may create databases) or, when it is
unset, from the embedded server in a short data folder. Each test session creates its own fresh
database and migrates it; each test starts from empty tables (TRUNCATE, not a rolled-back
connection, so the worker's own connections see the same data). Redis comes from TEST_REDIS_URL
or an embedded server on a free port, flushed between tests.

The helpers these fixtures use, and the ones tests import, live in modules named for what they
hold: factories.py, worlds.py, servers.py, smtp.py, workers.py, waiting.py.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.embedded import EmbeddedPostgres, EmbeddedRedis
from service.settings import Settings, load_settings
from tests import smtp
from tests.factories import TEST_SECRET, Org, clean_database, make_org
from tests.servers import create_migrated_database, drop_database, open_pool
from tests.smtp import MailBox


@pytest.fixture(scope="session")
def server_dsn() -> Iterator[str]:
    """A DSN of a PostgreSQL server on which the tests may create databases."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    folder = Path(os.environ.get("CANDOR_TEST_DATA_DIR", f"/tmp/candor-test-{os.getuid()}"))
    pg = EmbeddedPostgres(folder)
    dsn = pg.start("postgres")
    yield dsn
    pg.stop()


@pytest.fixture(scope="session")
async def database_url(server_dsn: str) -> AsyncIterator[str]:
    """A fresh, migrated database for this session, dropped at the end."""
    dsn = await create_migrated_database(server_dsn, "candor_test")
    yield dsn
    await drop_database(server_dsn, dsn)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    folder = Path(f"/tmp/candor-test-redis-{os.getuid()}-{os.getpid()}")
    redis = EmbeddedRedis(folder)
    yield redis.start()
    redis.stop()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[str, MailBox]]:
    """The session's SMTP server: its URL and the box that keeps what it receives."""
    box = MailBox()
    with smtp.smtp_server(box) as url:
        yield url, box


@pytest.fixture
def mailbox(smtp_server: tuple[str, MailBox]) -> Iterator[MailBox]:
    smtp_server[1].clear()
    yield smtp_server[1]
    smtp_server[1].clear()


@pytest.fixture(scope="session")
def settings(
    database_url: str, redis_url: str, smtp_server: tuple[str, MailBox], tmp_path_factory: Any
) -> Settings:
    return load_settings(
        {
            "CANDOR_ENV": "test",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SMTP_URL": smtp_server[0],
            "SECRET_KEY": TEST_SECRET,
            "PUBLIC_BASE_URL": "http://testserver.local",
            "LOG_LEVEL": "WARNING",
            "CANDOR_DATA_DIR": str(tmp_path_factory.mktemp("data")),
            "ARQ_QUEUE": f"candor-test:{secrets.token_hex(4)}",
            "RATE_LIMIT": "off",
        }
    )


@pytest.fixture(scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await open_pool(database_url)
    yield p
    await p.close()


@pytest.fixture(autouse=True)
async def _clean_state(request: pytest.FixtureRequest) -> None:
    """Empty every table and the Redis database before each test that uses them."""
    if "pool" in request.fixturenames:
        await clean_database(request.getfixturevalue("pool"))
    if "redis_url" in request.fixturenames:
        from redis.asyncio import Redis

        r = Redis.from_url(request.getfixturevalue("redis_url"))
        await r.flushdb()
        await r.aclose()


@pytest.fixture(scope="session")
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture(scope="session")
async def client(app: Litestar, pool: asyncpg.Pool) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        yield c


@pytest.fixture
async def org(pool: asyncpg.Pool) -> Org:
    return await make_org(pool, "Acme")


@pytest.fixture
async def other_org(pool: asyncpg.Pool) -> Org:
    return await make_org(pool, "Globex")
