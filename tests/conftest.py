"""Shared fixtures: real PostgreSQL, real Redis, a real SMTP server and the app under test.

PostgreSQL comes from TEST_DATABASE_URL (a server where we may create databases) or, when it is
unset, from the embedded server in a short data folder. Each test session creates its own fresh
database and migrates it; each test starts from empty tables (TRUNCATE, not a rolled-back
connection, so the worker's own connections see the same data). Redis comes from TEST_REDIS_URL
or an embedded server on a free port, flushed between tests.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.embedded import EmbeddedPostgres, EmbeddedRedis, free_port
from service.migrate import migrate
from service.orgs import Floors
from service.settings import Settings, load_settings

TEST_SECRET = "test-secret-key-" + "x" * 32
ROOT = Path(__file__).resolve().parent.parent


def _with_db(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + name))


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
    name = f"candor_test_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(server_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = _with_db(server_dsn, name)
    conn = await asyncpg.connect(dsn)
    await migrate(conn)
    await conn.close()
    yield dsn
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


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


@dataclass
class MailBox:
    """Messages received by the real SMTP test server, as parsed EmailMessages."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def clear(self) -> None:
        self.messages.clear()
        self.envelopes.clear()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[str, MailBox]]:
    box = MailBox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield f"smtp://127.0.0.1:{port}", box
    controller.stop()


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
    from service.db import _init_connection

    p = await asyncpg.create_pool(database_url, min_size=1, max_size=10, init=_init_connection)
    assert p is not None
    yield p
    await p.close()


_TABLES = """
SELECT string_agg(format('%I', tablename), ', ')
FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'
"""


@pytest.fixture(autouse=True)
async def _clean_state(request: pytest.FixtureRequest) -> None:
    """Empty every table and the Redis database before each test that uses them."""
    if "pool" in request.fixturenames:
        p: asyncpg.Pool = request.getfixturevalue("pool")
        tables = await p.fetchval(_TABLES)
        if tables:
            async with p.acquire() as conn, conn.transaction():
                # The audit log refuses TRUNCATE (migration 0011); the replica role, which only
                # a superuser may take, skips that trigger for this one statement.
                await conn.execute("SET LOCAL session_replication_role = replica")
                await conn.execute(f"TRUNCATE {tables} CASCADE")
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


@dataclass(frozen=True)
class Org:
    id: UUID
    admin_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}


async def make_org(pool: asyncpg.Pool, name: str = "Acme", floors: Floors | None = None) -> Org:
    """An org with its built-in items and an admin key.

    Its floors are the design's lowest (k 3, comment_k 3), which every pulse could use before
    floors existed, so tests of other promises may use small groups; tests of the floors pass
    `floors=DEFAULT_FLOORS` (or others) from service.orgs.
    """
    from service.orgs import create_org
    from service.surveys.pulses.bank import install_builtin_items

    async with pool.acquire() as conn, conn.transaction():
        org_id, key = await create_org(
            conn, name, setup=[install_builtin_items], floors=floors or Floors(3, 3)
        )
    return Org(org_id, key)


@pytest.fixture
async def org(pool: asyncpg.Pool) -> Org:
    return await make_org(pool, "Acme")


@pytest.fixture
async def other_org(pool: asyncpg.Pool) -> Org:
    return await make_org(pool, "Globex")
