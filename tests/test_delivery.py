"""Delivery promises, against real aiosmtpd servers, real Redis and a real arq worker:
every invited person gets exactly one email with a working link, whatever the SMTP server,
Redis or the worker does along the way."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from service.settings import Settings
from service.surveys.delivery import deliver_wave, kick_delivery
from service.surveys.delivery.sender import deliver_pending
from service.surveys.respond import token_hash
from tests.factories import Org
from tests.smtp import LINK, MailBox, Smtp, smtp_server, with_smtp
from tests.waiting import wait_until
from tests.workers import FAST, burst_worker, outbox_states, run_burst
from tests.worlds import open_test_wave


async def _kick_and_run(settings: Settings, database_url: str, wave: Any) -> None:
    redis = Redis.from_url(settings.redis_url or "")
    from arq.connections import ArqRedis

    arq = ArqRedis(connection_pool=redis.connection_pool, default_queue_name=settings.arq_queue)
    assert await kick_delivery(arq, wave.org_id, wave.wave_id)
    await run_burst(lambda: burst_worker(settings, database_url))
    await redis.aclose()


async def test_wave_to_200_people_delivers_exactly_one_email_each_with_a_working_link(
    pool: asyncpg.Pool,
    org: Org,
    settings: Settings,
    database_url: str,
    mailbox: MailBox,
    client: AsyncTestClient[Litestar],
) -> None:
    wave = await open_test_wave(pool, org.id, people=200)
    await _kick_and_run(settings, database_url, wave)

    assert len(mailbox.messages) == 200
    people = await pool.fetch(
        "SELECT p.email, i.token_hash FROM invitations i JOIN people p "
        "ON p.org_id = i.org_id AND p.id = i.person_id WHERE i.wave_id = $1",
        wave.wave_id,
    )
    expected = {r["email"]: r["token_hash"] for r in people}
    seen: dict[str, str] = {}
    for msg in mailbox.messages:
        to = msg["To"].addresses[0].addr_spec
        text = msg.get_body(preferencelist=("plain",)).get_content()
        html = msg.get_body(preferencelist=("html",)).get_content()
        match = LINK.search(text)
        assert match, "the text part carries the personal link"
        assert match.group(0).startswith("http://testserver.local/s/")
        assert match.group(0) in html
        assert token_hash(match.group(1)) == expected[to], "the link is this person's own"
        seen[to] = match.group(1)
        assert msg["Message-ID"] and msg["Date"] and msg["List-Id"]
        assert msg["List-Unsubscribe"].startswith("<http://testserver.local/optout/")
    assert set(seen) == set(expected)
    assert await outbox_states(pool, wave.wave_id) == {"sent": 200}
    for token in list(seen.values())[:3]:
        page = await client.get(f"/s/{token}")
        assert page.status_code == 200


async def test_server_answering_451_at_first_still_gets_everyone_exactly_one_email(
    pool: asyncpg.Pool, org: Org, settings: Settings, database_url: str
) -> None:
    wave = await open_test_wave(pool, org.id, people=40)
    handler = Smtp(fail_first=25)
    with smtp_server(handler) as url:
        await deliver_pending(pool, with_smtp(settings, url), FAST, wave.org_id, wave.wave_id)
    assert handler.calls == 65
    counts = handler.recipients()
    assert len(counts) == 40 and set(counts.values()) == {1}
    assert await outbox_states(pool, wave.wave_id) == {"sent": 40}


async def test_redis_flushed_mid_sending_loses_no_email(
    pool: asyncpg.Pool, org: Org, settings: Settings, database_url: str, redis_url: str
) -> None:
    from service.surveys.delivery import sweep_outbox

    # Slow enough (4 senders x 30 ms a message: about a second for 120) that the flush lands
    # mid-wave even on a fast, quiet machine.
    wave = await open_test_wave(pool, org.id, people=120)
    handler = Smtp(delay=0.03)
    with smtp_server(handler) as url:
        slow = with_smtp(settings, url)
        redis = Redis.from_url(redis_url)
        from arq.connections import ArqRedis

        arq = ArqRedis(connection_pool=redis.connection_pool, default_queue_name=slow.arq_queue)
        await kick_delivery(arq, wave.org_id, wave.wave_id)
        worker = burst_worker(slow, database_url, burst=False)
        task = asyncio.create_task(worker.main())
        await wait_until(lambda: len(handler.received) >= 10, "some, not all, mail to go out")
        await redis.flushdb()  # the queued job, its in-progress marker: all gone
        assert len(handler.received) < 120, "the flush happened mid-wave"
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await worker.close()
        # A fresh worker knows nothing; the sweeper rebuilds the work from Postgres.
        ctx = {"pool": pool, "redis": arq, "delivery_config": FAST}
        await pool.execute(
            "UPDATE outbox SET claimed_at = now() - interval '1 hour' WHERE state = 'sending'"
        )
        # The stopped worker may or may not have finished its last batch; the sweeper re-queues
        # the wave exactly when mail is left, and never otherwise.
        left = await pool.fetchval("SELECT count(*) FROM outbox WHERE state <> 'sent'")
        assert await sweep_outbox(ctx) == (1 if left else 0)
        await run_burst(lambda: burst_worker(slow, database_url))
        await redis.aclose()
    counts = handler.recipients()
    assert len(counts) == 120
    assert await outbox_states(pool, wave.wave_id) == {"sent": 120}


async def test_two_workers_on_the_same_wave_never_send_twice(
    pool: asyncpg.Pool, org: Org, settings: Settings, database_url: str
) -> None:
    from service.db import create_pool

    wave = await open_test_wave(pool, org.id, people=120)
    handler = Smtp(delay=0.002)
    with smtp_server(handler) as url:
        s = with_smtp(settings, url)
        other = await create_pool(s, database_url)
        try:
            await asyncio.gather(
                deliver_wave(
                    {"pool": pool, "settings": s, "delivery_config": FAST},
                    str(org.id),
                    str(wave.wave_id),
                ),
                deliver_wave(
                    {"pool": other, "settings": s, "delivery_config": FAST},
                    str(org.id),
                    str(wave.wave_id),
                ),
            )
        finally:
            await other.close()
    counts = handler.recipients()
    assert len(counts) == 120 and set(counts.values()) == {1}


async def test_550_for_one_address_is_a_recorded_failure_the_rest_still_arrive(
    pool: asyncpg.Pool, org: Org, settings: Settings
) -> None:
    wave = await open_test_wave(pool, org.id, people=10)
    bad = await pool.fetchval("SELECT email FROM people WHERE id = $1", wave.people[3])
    handler = Smtp(reject={bad})
    with smtp_server(handler) as url:
        await deliver_pending(pool, with_smtp(settings, url), FAST, wave.org_id, wave.wave_id)
    assert len(handler.recipients()) == 9 and bad not in handler.recipients()
    row = await pool.fetchrow(
        "SELECT o.state, o.last_error, o.attempts FROM outbox o JOIN invitations i "
        "ON i.org_id = o.org_id AND i.id = o.invitation_id WHERE i.person_id = $1",
        wave.people[3],
    )
    assert row["state"] == "failed" and row["attempts"] == 1
    assert row["last_error"].startswith("550")


async def test_hanging_server_times_out_and_the_message_is_retried(
    pool: asyncpg.Pool, org: Org, settings: Settings
) -> None:
    wave = await open_test_wave(pool, org.id, people=6)
    handler = Smtp(hang_first=1)
    with smtp_server(handler) as url:
        await deliver_pending(pool, with_smtp(settings, url), FAST, wave.org_id, wave.wave_id)
    counts = handler.recipients()
    assert len(counts) == 6 and set(counts.values()) == {1}
    assert await outbox_states(pool, wave.wave_id) == {"sent": 6}


async def test_connection_dropped_mid_data_is_retried_on_a_new_connection(
    pool: asyncpg.Pool, org: Org, settings: Settings
) -> None:
    wave = await open_test_wave(pool, org.id, people=8)
    handler = Smtp(drop_first=3)
    with smtp_server(handler) as url:
        await deliver_pending(pool, with_smtp(settings, url), FAST, wave.org_id, wave.wave_id)
    assert len(handler.recipients()) == 8
    assert await outbox_states(pool, wave.wave_id) == {"sent": 8}


async def test_server_that_never_comes_back_ends_in_failed_rows_not_a_crash(
    pool: asyncpg.Pool, org: Org, settings: Settings
) -> None:
    from service.embedded import free_port

    wave = await open_test_wave(pool, org.id, people=5)
    dead = with_smtp(settings, f"smtp://127.0.0.1:{free_port()}")
    await deliver_pending(pool, dead, FAST, wave.org_id, wave.wave_id)
    assert await outbox_states(pool, wave.wave_id) == {"failed": 5}
    errors = await pool.fetch("SELECT last_error FROM outbox")
    assert all("SMTP server unavailable" in r["last_error"] for r in errors)


async def test_invalid_email_address_is_a_recorded_failure_not_a_skipped_person(
    pool: asyncpg.Pool, org: Org, settings: Settings, mailbox: MailBox
) -> None:
    wave = await open_test_wave(pool, org.id, people=4)
    await pool.execute("UPDATE people SET email = 'not an address' WHERE id = $1", wave.people[0])
    await deliver_pending(pool, settings, FAST, wave.org_id, wave.wave_id)
    assert len(mailbox.messages) == 3
    row = await pool.fetchrow(
        "SELECT o.state, o.last_error FROM outbox o JOIN invitations i "
        "ON i.org_id = o.org_id AND i.id = o.invitation_id WHERE i.person_id = $1",
        wave.people[0],
    )
    assert (row["state"], row["last_error"]) == ("failed", "invalid email address")


async def test_kick_with_redis_down_does_not_raise_and_postgres_keeps_the_work(
    pool: asyncpg.Pool, org: Org, settings: Settings
) -> None:
    from arq.connections import ArqRedis
    from redis.asyncio import ConnectionPool

    from service.embedded import free_port

    wave = await open_test_wave(pool, org.id, people=3)
    down = ArqRedis(
        connection_pool=ConnectionPool.from_url(
            f"redis://127.0.0.1:{free_port()}", socket_connect_timeout=0.5
        )
    )
    assert await kick_delivery(down, wave.org_id, wave.wave_id) is False
    await down.aclose()
    assert await outbox_states(pool, wave.wave_id) == {"pending": 3}


async def test_closed_wave_mail_is_skipped_not_sent(
    pool: asyncpg.Pool, org: Org, settings: Settings, mailbox: MailBox
) -> None:
    wave = await open_test_wave(pool, org.id, people=3)
    await pool.execute(
        "UPDATE waves SET state = 'closed', closed_at = now() WHERE id = $1", wave.wave_id
    )
    await deliver_pending(pool, settings, FAST, wave.org_id, wave.wave_id)
    assert mailbox.messages == []
    assert await outbox_states(pool, wave.wave_id) == {"skipped": 3}
