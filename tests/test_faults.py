"""Faults against real services: PostgreSQL restarted under load, Redis gone mid-wave, a worker
killed in the middle of closing a wave. Each keeps the promise: nothing stored twice, nothing
lost, clear 503s while a backend is away, and recovery without a restart of Candor."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.db import _init_connection
from service.embedded import EmbeddedPostgres, EmbeddedRedis
from service.migrate import migrate
from service.settings import Settings
from tests.factories import Org, full_answers, make_leader_headers, make_org
from tests.smtp import MailBox
from tests.waiting import wait_for, wait_until
from tests.workers import FAST, burst_worker, outbox_states, run_burst
from tests.worlds import open_test_wave


@dataclass
class World:
    pg: EmbeddedPostgres
    redis: EmbeddedRedis
    dsn: str
    settings: Settings
    pool: asyncpg.Pool
    org: Org


@pytest.fixture
async def world(settings: Settings, mailbox: MailBox) -> AsyncIterator[World]:
    """A PostgreSQL and a Redis of this test's own, so they can be stopped without harm."""
    folder = Path(f"/tmp/cf-{secrets.token_hex(3)}")
    pg = EmbeddedPostgres(folder)
    redis = EmbeddedRedis(folder)
    dsn = await asyncio.to_thread(pg.start, "candor")
    conn = await asyncpg.connect(dsn)
    await migrate(conn)
    await conn.close()
    own = msgspec.structs.replace(
        settings, database_url=dsn, redis_url=redis.start(), db_pool_max=20
    )
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=5, init=_init_connection)
    assert pool is not None
    try:
        yield World(pg, redis, dsn, own, pool, await make_org(pool))
    finally:
        await pool.close()
        redis.stop()
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


async def _ready(client: Any, status: int, seconds: float) -> float:
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def ready() -> int:
        return int((await client.get("/ready")).status_code)

    await wait_for(ready, lambda got: got == status, f"/ready to become {status}", timeout=seconds)
    return loop.time() - start


async def test_postgres_restart_under_submit_load_stores_every_2xx_exactly_once(
    world: World,
) -> None:
    # Enough submits that the load is still running while PostgreSQL goes down and comes back.
    wave = await open_test_wave(world.pool, world.org.id, people=210, k=3)
    body = {"answers": full_answers(wave.item_keys, 6)}
    load_tokens, spare = wave.tokens[:200], wave.tokens[200:]
    outcomes: dict[str, int] = {}
    queue: asyncio.Queue[str] = asyncio.Queue()
    for t in load_tokens:
        queue.put_nowait(t)

    async with AsyncTestClient(app=create_app(world.settings)) as client:
        await _ready(client, 200, 10)

        async def submitter() -> None:
            while not queue.empty():
                token = queue.get_nowait()
                r = await client.post(f"/api/v1/respond/{token}", json=body)
                outcomes[token] = r.status_code
                if len(outcomes) >= 20:
                    started.set()
                if r.status_code >= 500:
                    assert r.status_code == 503, r.text
                    assert r.headers["content-type"].startswith("application/problem+json")
                    assert "retry-after" in r.headers
                # Paces the load so that it lasts past the restart: a rhythm, not a wait for
                # anything (the restart below waits on what the submits saw).
                await asyncio.sleep(0.01)

        started = asyncio.Event()

        async def restart() -> None:
            await started.wait()
            await asyncio.to_thread(world.pg.server._stop)
            # Down until the load has felt it: some submit was answered 503.
            await wait_until(
                lambda: 503 in outcomes.values() or queue.empty(), "a submit to meet the outage"
            )
            await asyncio.to_thread(world.pg.server.ensure_postgres_running)

        await asyncio.gather(restart(), *(submitter() for _ in range(8)))
        recovered_in = await _ready(client, 200, 10)
        # Fresh submits work again without restarting Candor.
        for token in spare:
            r = await client.post(f"/api/v1/respond/{token}", json=body)
            assert r.status_code == 201, r.text

    statuses = Counter(outcomes.values())
    assert set(statuses) <= {201, 503}, statuses
    assert statuses[201] > 0
    assert statuses[503] > 0, "the restart did not overlap the load; the test proved nothing"
    conn = await asyncpg.connect(world.dsn)
    try:
        responded = await conn.fetchval(
            "SELECT count(*) FROM invitations WHERE wave_id = $1 AND responded", wave.wave_id
        )
        ballots = await conn.fetchval(
            "SELECT count(*) FROM ballots WHERE wave_id = $1", wave.wave_id
        )
    finally:
        await conn.close()
    # Every 2xx stored; nothing stored twice (a ballot only ever with its invitation's flag).
    assert ballots == responded
    assert responded >= statuses[201] + len(spare)
    # A 503 whose commit did land can only add the ones that were answered 503.
    assert responded <= statuses[201] + statuses[503] + len(spare)
    assert recovered_in < 10


async def test_redis_down_during_a_wave_keeps_submits_and_reads_working_and_loses_no_mail(
    world: World, mailbox: MailBox, settings: Settings
) -> None:
    from service.surveys.delivery import kick_delivery

    wave = await open_test_wave(world.pool, world.org.id, people=12, k=3)
    leader = await make_leader_headers(world.pool, world.org.id, [wave.teams["Engineering"]])
    port = world.redis.port
    world.redis.stop()
    async with AsyncTestClient(app=create_app(world.settings)) as client:
        await _ready(client, 503, 10)
        r = await client.post(
            f"/api/v1/respond/{wave.tokens[0]}", json={"answers": full_answers(wave.item_keys)}
        )
        assert r.status_code == 201, r.text
        r = await client.get(f"/api/v1/teams/{wave.teams['Engineering']}/trend", headers=leader)
        assert r.status_code == 200, r.text
        # Opening the next wave needs no Redis either; its mail waits in PostgreSQL.
        r = await client.get(f"/api/v1/waves/{wave.wave_id}", headers=world.org.headers)
        assert r.status_code == 200

        world.redis.port = port
        world.redis.start()
        await _ready(client, 200, 10)
    # The sweeper's job: re-queue from PostgreSQL, then one worker delivers everything.
    from service.app import redis_client

    arq = redis_client(world.settings.redis_url or "", world.settings.arq_queue)
    assert await kick_delivery(arq, world.org.id, wave.wave_id)
    await arq.aclose()
    await run_burst(lambda: burst_worker(world.settings, world.dsn, FAST))
    delivered = Counter(str(m["To"].addresses[0].addr_spec) for m in mailbox.messages)
    # Everyone but the person who already answered (no point inviting them) got one email.
    assert len(delivered) == 11
    assert set(delivered.values()) == {1}
    states = await outbox_states(world.pool, wave.wave_id)
    assert "pending" not in states and "sending" not in states, states


async def test_worker_killed_during_wave_close_leaves_it_whole_and_a_rerun_closes_it_once(
    world: World,
) -> None:
    wave = await open_test_wave(world.pool, world.org.id, people=10, k=3)
    async with AsyncTestClient(app=create_app(world.settings)) as client:
        for token in wave.tokens[:7]:
            r = await client.post(
                f"/api/v1/respond/{token}", json={"answers": full_answers(wave.item_keys, 4)}
            )
            assert r.status_code == 201
    # Hold a lock the close needs, so the closing process is caught mid-transaction.
    blocker = await asyncpg.connect(world.dsn)
    await blocker.execute("BEGIN")
    await blocker.execute("LOCK TABLE comments IN ACCESS EXCLUSIVE MODE")
    script = textwrap.dedent(
        """
        import asyncio, sys
        from uuid import UUID
        from service.db import connect
        from service.analytics.rollup import rollup_wave
        from service.surveys.waves import close_wave

        async def main():
            conn = await connect(sys.argv[1])
            await close_wave(conn, UUID(sys.argv[2]), UUID(sys.argv[3]), after_close=rollup_wave)

        asyncio.run(main())
        """
    )
    closer = subprocess.Popen(  # noqa: ASYNC220 - started once, then only signalled
        [sys.executable, "-c", script, world.dsn, str(world.org.id), str(wave.wave_id)],
        env={**os.environ, "SECRET_KEY": "k" * 40},
    )
    try:
        await wait_until(  # until the closer is inside its transaction, blocked
            lambda: blocker.fetchval(
                "SELECT count(*) FROM pg_locks"
                " WHERE NOT granted AND relation = 'comments'::regclass"
            ),
            "the closing process to reach the lock",
        )
        closer.send_signal(signal.SIGKILL)
        closer.wait(10)
    finally:
        await blocker.execute("ROLLBACK")
        await blocker.close()

    async def snapshot() -> tuple[str, int, int, int]:
        conn = await asyncpg.connect(world.dsn)
        try:
            return (
                await conn.fetchval("SELECT state FROM waves WHERE id = $1", wave.wave_id),
                await conn.fetchval(
                    "SELECT count(*) FROM ballots WHERE wave_id = $1", wave.wave_id
                ),
                await conn.fetchval(
                    "SELECT count(*) FROM responses WHERE wave_id = $1", wave.wave_id
                ),
                await conn.fetchval(
                    "SELECT count(*) FROM wave_cells WHERE wave_id = $1", wave.wave_id
                ),
            )
        finally:
            await conn.close()

    # Killed mid-close: the transaction died with it; the wave is exactly as before.
    await wait_for(snapshot, lambda state: state == ("open", 7, 0, 0), "the wave as before")

    from service.analytics.rollup import rollup_wave
    from service.surveys.waves import close_wave

    conn = await asyncpg.connect(world.dsn)
    await _init_connection(conn)
    try:
        assert await close_wave(conn, world.org.id, wave.wave_id, after_close=rollup_wave) is True
        assert await close_wave(conn, world.org.id, wave.wave_id, after_close=rollup_wave) is False
    finally:
        await conn.close()
    state = await snapshot()
    assert state[:3] == ("closed", 0, 7)
    assert state[3] > 0
