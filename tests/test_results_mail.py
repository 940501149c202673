"""'Results are in': closing a wave queues one mail per leader, sent by the worker's mail queue.

The close runs the real `close_wave` with the assembly's `after_close` (service/closing.py):
the rollup and the queued mails land in the closing transaction, the console's sweep sends
them over the real SMTP test server, and a leader who turned the mail off gets none.
"""

from __future__ import annotations

import re

import asyncpg

from service.closing import after_close
from service.console.sending import sweep_console_mail
from service.settings import Settings
from service.surveys.respond import submit, token_for
from service.surveys.waves import close_wave, open_wave
from tests.factories import TEST_SECRET
from tests.smtp import MailBox
from tests.worlds import console_world


async def _new_wave_answered(pool: asyncpg.Pool, org_id, pulse_id) -> object:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn:
        wave = await open_wave(conn, org_id, pulse_id, secret=TEST_SECRET)
        invitations = await conn.fetch(
            "SELECT id FROM invitations WHERE org_id = $1 AND wave_id = $2", org_id, wave
        )
        keys = await conn.fetchval("SELECT item_keys FROM waves WHERE id = $1", wave)
        for inv in invitations[:30]:
            await submit(conn, token_for(TEST_SECRET, inv["id"]), {k: 5 for k in keys}, None)
    return wave


async def test_closing_a_wave_mails_each_leader_once_with_links_and_no_numbers(
    pool: asyncpg.Pool, settings: Settings, mailbox: MailBox
) -> None:
    w = await console_world(pool)
    pulse = await pool.fetchval("SELECT id FROM pulses WHERE org_id = $1", w.org.id)
    wave = await _new_wave_answered(pool, w.org.id, pulse)
    async with pool.acquire() as conn, conn.transaction():
        assert await close_wave(conn, w.org.id, wave, after_close=after_close)
    queued = await pool.fetch(
        "SELECT person_id FROM console_mail WHERE org_id = $1 AND kind = 'results'", w.org.id
    )
    assert [r["person_id"] for r in queued] == [w.leader]
    assert await sweep_console_mail({"pool": pool, "settings": settings}) == 1
    (msg,) = mailbox.messages
    assert msg["To"].addresses[0].addr_spec == "lead@demo.example"
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert f"/console/teams/{w.teams['Product']}" in text
    # Nothing the guard would not show: no score, count or rate; at most the threshold.
    assert set(re.findall(r"\d+", re.sub(r"http\S+", "", text))) <= {"5", "15", "30"}
    # Sent once: a second sweep has nothing to send.
    assert await sweep_console_mail({"pool": pool, "settings": settings}) == 0


async def test_a_leader_who_turned_the_mail_off_gets_none(
    pool: asyncpg.Pool, settings: Settings, mailbox: MailBox
) -> None:
    w = await console_world(pool, "Quiet Co")
    await pool.execute(
        "INSERT INTO console_prefs (org_id, person_id, results_mail) VALUES ($1, $2, false)",
        w.org.id,
        w.leader,
    )
    pulse = await pool.fetchval("SELECT id FROM pulses WHERE org_id = $1", w.org.id)
    wave = await _new_wave_answered(pool, w.org.id, pulse)
    async with pool.acquire() as conn, conn.transaction():
        assert await close_wave(conn, w.org.id, wave, after_close=after_close)
    assert await sweep_console_mail({"pool": pool, "settings": settings}) == 0
    assert mailbox.messages == []
