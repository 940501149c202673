"""Migrations apply once, in order, safely in parallel, and refuse edited history."""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from service.migrate import MIGRATIONS_DIR, MigrationError, discover, migrate, pending
from tests.servers import with_database


@pytest.fixture
async def scratch_dsn(server_dsn: str) -> AsyncIterator[str]:
    """An empty database of its own for each test."""
    name = f"candor_mig_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(server_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    yield with_database(server_dsn, name)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


async def _tables(conn: asyncpg.Connection) -> set[str]:
    rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {r["tablename"] for r in rows}


async def test_migrations_apply_once_and_then_are_a_no_op(scratch_dsn: str) -> None:
    conn = await asyncpg.connect(scratch_dsn)
    try:
        first = await migrate(conn)
        assert first == [m.name for m in discover()]
        assert await pending(conn) == []
        assert await migrate(conn) == []
        rows = await conn.fetch("SELECT version, checksum FROM schema_migrations ORDER BY version")
        assert [(r["version"], r["checksum"]) for r in rows] == [
            (m.version, m.checksum) for m in discover()
        ]
    finally:
        await conn.close()


async def test_two_concurrent_migrators_do_not_collide(scratch_dsn: str) -> None:
    a = await asyncpg.connect(scratch_dsn)
    b = await asyncpg.connect(scratch_dsn)
    try:
        done_a, done_b = await asyncio.gather(migrate(a), migrate(b))
        # One did all the work, the other waited on the lock and found nothing left to do.
        assert sorted(done_a + done_b) == sorted(m.name for m in discover())
        assert min(len(done_a), len(done_b)) == 0
        count = await a.fetchval("SELECT count(*) FROM schema_migrations")
        assert count == len(discover())
    finally:
        await a.close()
        await b.close()


def _copy_migrations(tmp_path: Path) -> Path:
    target = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, target)
    return target


async def test_an_edited_applied_migration_is_refused(scratch_dsn: str, tmp_path: Path) -> None:
    folder = _copy_migrations(tmp_path)
    conn = await asyncpg.connect(scratch_dsn)
    try:
        await migrate(conn, folder)
        first = sorted(folder.glob("*.sql"))[0]
        first.write_text(first.read_text() + "\n-- a quiet edit\n")
        before = await _tables(conn)
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(conn, folder)
        assert await _tables(conn) == before
    finally:
        await conn.close()


async def test_a_broken_migration_leaves_the_database_as_it_was(
    scratch_dsn: str, tmp_path: Path
) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "0001_good.sql").write_text("CREATE TABLE good (id int);")
    (folder / "0002_bad.sql").write_text("CREATE TABLE half (id int);\nCREATE TABLEX oops;")
    conn = await asyncpg.connect(scratch_dsn)
    try:
        with pytest.raises(MigrationError, match=r"0002_bad\.sql failed and was rolled back"):
            await migrate(conn, folder)
        assert await _tables(conn) == {"good", "schema_migrations"}
        versions = await conn.fetch("SELECT version FROM schema_migrations")
        assert [r["version"] for r in versions] == [1]
    finally:
        await conn.close()


def test_badly_named_migration_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "1_oops.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="NNNN_lower_snake"):
        discover(tmp_path)
