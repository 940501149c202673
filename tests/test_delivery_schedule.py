"""The pulse clock and what admins see: waves open once, reminders reach only those who have
not responded, waves close on time, opt-outs stick, and the delivery view keeps people private
from leaders."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from service.analytics.rollup import rollup_wave
from service.auth import create_key
from service.settings import Settings
from service.surveys.delivery import queue_reminders, sweep_outbox
from service.surveys.delivery.sender import deliver_pending
from service.surveys.waves import close_due_waves, open_due_waves
from tests.factories import Org, make_people, make_pulse, make_team_tree
from tests.smtp import LINK, MailBox
from tests.workers import FAST, outbox_states
from tests.worlds import open_test_wave


class _NoRedis:
    """Stands in for the arq client where a test only checks Postgres; records the nudges."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Any, ...]] = []

    async def enqueue_job(self, name: str, *args: Any, **kwargs: Any) -> object:
        self.jobs.append((name, *args))
        return object()


def _ctx(pool: asyncpg.Pool, settings: Settings) -> dict[str, Any]:
    return {
        "pool": pool,
        "settings": settings,
        "redis": _NoRedis(),
        "delivery_config": FAST,
        "after_close": rollup_wave,
    }


async def test_two_workers_running_the_open_cron_at_once_open_exactly_one_wave(
    pool: asyncpg.Pool, org: Org, settings: Settings
) -> None:
    teams = await make_team_tree(pool, org.id, ["Crew"])
    await make_people(pool, org.id, teams["Crew"], 6)
    pulse_id = await make_pulse(pool, org.id, [teams["Crew"]])
    a, b = _ctx(pool, settings), _ctx(pool, settings)
    opened = await asyncio.gather(open_due_waves(a), open_due_waves(b))
    assert sorted(opened) == [0, 1]
    assert await pool.fetchval("SELECT count(*) FROM waves WHERE pulse_id = $1", pulse_id) == 1
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 6
    next_at = await pool.fetchval("SELECT next_wave_at FROM pulses WHERE id = $1", pulse_id)
    assert next_at > datetime.now(UTC) + timedelta(days=6)
    assert len(a["redis"].jobs) + len(b["redis"].jobs) == 1
    assert await open_due_waves(a) == 0, "a re-run opens nothing"


async def test_window_longer_than_cadence_is_a_recorded_error_not_a_second_open_wave(
    pool: asyncpg.Pool, org: Org, settings: Settings
) -> None:
    teams = await make_team_tree(pool, org.id, ["Crew"])
    await make_people(pool, org.id, teams["Crew"], 6)
    pulse_id = await make_pulse(pool, org.id, [teams["Crew"]], open_days=10)
    ctx = _ctx(pool, settings)
    assert await open_due_waves(ctx) == 1
    await pool.execute("UPDATE pulses SET next_wave_at = now() - interval '1 minute'")
    assert await open_due_waves(ctx) == 0
    assert await pool.fetchval("SELECT count(*) FROM waves WHERE state = 'open'") == 1
    error = await pool.fetchval(
        "SELECT error FROM schedule_errors WHERE pulse_id = $1 AND step = 'open'", pulse_id
    )
    assert "already has an open wave" in error
    due = await pool.fetchval("SELECT next_wave_at > now() FROM pulses WHERE id = $1", pulse_id)
    assert due, "the clock moved on instead of retrying every minute"


async def test_pulse_with_nobody_to_invite_records_why(
    pool: asyncpg.Pool, org: Org, settings: Settings
) -> None:
    teams = await make_team_tree(pool, org.id, ["Empty"])
    pulse_id = await make_pulse(pool, org.id, [teams["Empty"]])
    assert await open_due_waves(_ctx(pool, settings)) == 0
    error = await pool.fetchval("SELECT error FROM schedule_errors WHERE pulse_id = $1", pulse_id)
    assert "Nobody to invite" in error


async def test_reminders_go_only_to_people_who_have_not_responded_with_the_same_link(
    pool: asyncpg.Pool, org: Org, settings: Settings, mailbox: MailBox
) -> None:
    wave = await open_test_wave(pool, org.id, people=8)
    await deliver_pending(pool, settings, FAST, wave.org_id, wave.wave_id)
    first_links = {m["To"].addresses[0].addr_spec: LINK.search(str(m)) for m in mailbox.messages}
    first = {to: m.group(0) for to, m in first_links.items() if m}
    mailbox.clear()
    responders = wave.people[:3]
    await pool.execute(
        "UPDATE invitations SET responded = true WHERE person_id = ANY($1::uuid[])", responders
    )
    ctx = _ctx(pool, settings)
    assert await queue_reminders(ctx) == 0, "not yet: the first reminder is on day 3"
    await pool.execute(
        "UPDATE waves SET opens_at = now() - interval '3 days 1 minute' WHERE id = $1",
        wave.wave_id,
    )
    assert await queue_reminders(ctx) == 5
    assert await queue_reminders(ctx) == 0, "queued once, however often the cron runs"
    await deliver_pending(pool, settings, FAST, wave.org_id, wave.wave_id)
    emails = await pool.fetch(
        "SELECT id, email FROM people WHERE id = ANY($1::uuid[])", wave.people
    )
    by_id = {r["id"]: r["email"] for r in emails}
    got = {m["To"].addresses[0].addr_spec for m in mailbox.messages}
    assert got == {by_id[p] for p in wave.people[3:]}
    for msg in mailbox.messages:
        assert msg["Subject"].startswith("Reminder")
        to = msg["To"].addresses[0].addr_spec
        link = LINK.search(msg.get_body(preferencelist=("plain",)).get_content())
        assert link and link.group(0) == first[to], "a reminder carries the same link"


async def test_a_response_after_the_reminder_was_queued_skips_it(
    pool: asyncpg.Pool, org: Org, settings: Settings, mailbox: MailBox
) -> None:
    wave = await open_test_wave(pool, org.id, people=5)
    await deliver_pending(pool, settings, FAST, wave.org_id, wave.wave_id)
    await pool.execute(
        "UPDATE waves SET opens_at = now() - interval '3 days 1 minute' WHERE id = $1",
        wave.wave_id,
    )
    assert await queue_reminders(_ctx(pool, settings)) == 5
    await pool.execute(
        "UPDATE invitations SET responded = true WHERE person_id = $1", wave.people[0]
    )
    mailbox.clear()
    await deliver_pending(pool, settings, FAST, wave.org_id, wave.wave_id)
    assert len(mailbox.messages) == 4
    assert (
        await pool.fetchval(
            "SELECT last_error FROM outbox WHERE kind = 'reminder' AND state = 'skipped'"
        )
        == "already responded"
    )


async def test_due_wave_is_closed_once_and_its_unsent_mail_is_skipped(
    pool: asyncpg.Pool, org: Org, settings: Settings
) -> None:
    wave = await open_test_wave(pool, org.id, people=5)
    await pool.execute(
        "UPDATE waves SET opens_at = now() - interval '7 days', "
        "closes_at = now() - interval '1 second'"
    )
    a, b = _ctx(pool, settings), _ctx(pool, settings)
    assert sorted(await asyncio.gather(close_due_waves(a), close_due_waves(b))) == [0, 1]
    assert await pool.fetchval("SELECT state FROM waves WHERE id = $1", wave.wave_id) == "closed"
    assert await outbox_states(pool, wave.wave_id) == {"skipped": 5}


async def test_sweeper_puts_back_rows_of_a_vanished_sender_and_nudges_their_wave(
    pool: asyncpg.Pool, org: Org, settings: Settings
) -> None:
    wave = await open_test_wave(pool, org.id, people=4)
    await pool.execute(
        "UPDATE outbox SET state = 'sending', claimed_at = now() - interval '2 hours', "
        "claim = gen_random_uuid(), attempts = 1"
    )
    ctx = _ctx(pool, settings)
    assert await sweep_outbox(ctx) == 1
    assert await outbox_states(pool, wave.wave_id) == {"pending": 4}
    assert ctx["redis"].jobs == [("deliver_wave", str(wave.org_id), str(wave.wave_id))]


async def test_admin_sees_counts_and_failures_leader_sees_no_people_and_no_live_rate(
    pool: asyncpg.Pool, org: Org, settings: Settings, client: AsyncTestClient[Litestar]
) -> None:
    wave = await open_test_wave(pool, org.id, people=6)
    await pool.execute("UPDATE people SET email = 'broken' WHERE id = $1", wave.people[0])
    await pool.execute(
        "UPDATE invitations SET responded = true WHERE person_id = $1", wave.people[1]
    )
    from tests.smtp import Smtp, smtp_server, with_smtp

    with smtp_server(Smtp()) as url:
        await deliver_pending(pool, with_smtp(settings, url), FAST, wave.org_id, wave.wave_id)
    r = await client.get(f"/api/v1/waves/{wave.wave_id}/delivery", headers=org.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["invited"] == 6 and body["failed"] == 1 and body["delivered"] == 4
    assert body["skipped"] == 1
    # How many answered is live data: while the wave is open, a band per group, no count.
    assert body["responded"] is None and body["response_rate_pct"] is None
    # Engineering, above Platform, invites nobody itself: no band, no rate.
    progress = {g["group"]: (g["band"], g["rate_pct"]) for g in body["progress"]}
    assert progress == {"Engineering": (None, None), "Platform": ("low", None)}
    assert body["failures"][0]["email"] == "broken"
    assert body["failures"][0]["last_error"] == "invalid email address"

    async with pool.acquire() as conn:
        _, leader_key = await create_key(conn, org.id, "lead", "leader", [wave.team_id])
    r = await client.get(
        f"/api/v1/waves/{wave.wave_id}/delivery", headers={"Authorization": f"Bearer {leader_key}"}
    )
    assert r.status_code == 200, r.text
    lead = r.json()
    assert lead.get("failures") is None and lead.get("responded") is None
    assert lead.get("invited") is None
    assert lead["participation"][0]["rate_pct"] is None, "no live number while the wave is open"


async def test_once_closed_admins_see_how_many_answered_and_rounded_group_rates(
    pool: asyncpg.Pool, org: Org, settings: Settings, client: AsyncTestClient[Litestar]
) -> None:
    wave = await open_test_wave(pool, org.id, people=6)
    await pool.execute(
        "UPDATE invitations SET responded = true WHERE person_id = ANY($1::uuid[])",
        wave.people[:4],
    )
    r = await client.post(f"/api/v1/waves/{wave.wave_id}/close", headers=org.headers)
    assert r.status_code == 200, r.text
    body = (await client.get(f"/api/v1/waves/{wave.wave_id}/delivery", headers=org.headers)).json()
    assert body["responded"] == 4 and body["response_rate_pct"] == 66.7
    progress = {g["group"]: (g["band"], g["rate_pct"]) for g in body["progress"]}
    assert progress == {"Engineering": (None, None), "Platform": ("moderate", 65)}


async def test_other_orgs_wave_delivery_is_404(
    pool: asyncpg.Pool,
    org: Org,
    other_org: Org,
    settings: Settings,
    client: AsyncTestClient[Litestar],
) -> None:
    wave = await open_test_wave(pool, org.id, people=3)
    r = await client.get(f"/api/v1/waves/{wave.wave_id}/delivery", headers=other_org.headers)
    assert r.status_code == 404


async def test_opt_out_link_asks_first_then_stops_future_mail_and_counts_for_admins(
    pool: asyncpg.Pool,
    org: Org,
    settings: Settings,
    mailbox: MailBox,
    client: AsyncTestClient[Litestar],
) -> None:
    wave = await open_test_wave(pool, org.id, people=5, locale="nl")
    await deliver_pending(pool, settings, FAST, wave.org_id, wave.wave_id)
    msg = mailbox.messages[0]
    link = msg["List-Unsubscribe"].strip("<>")
    path = link.removeprefix("http://testserver.local")
    page = await client.get(path)
    assert page.status_code == 200 and '<form method="post">' in page.text
    assert "Afmelden" in msg.get_body(preferencelist=("plain",)).get_content()
    assert await pool.fetchval("SELECT count(*) FROM people WHERE opted_out") == 0, "GET only asks"
    done = await client.post(path)
    assert done.status_code == 200
    again = await client.post(path)
    assert again.status_code == 200, "opting out twice is fine"
    person = await pool.fetchval(
        "SELECT id FROM people WHERE lower(email) = lower($1)", msg["To"].addresses[0].addr_spec
    )
    assert await pool.fetchval("SELECT opted_out FROM people WHERE id = $1", person)
    r = await client.get(f"/api/v1/waves/{wave.wave_id}/delivery", headers=org.headers)
    assert r.json()["opted_out"] == 1
    forged = path[:-4] + ("AAAA" if not path.endswith("AAAA") else "BBBB")
    assert (await client.post(forged)).status_code == 404
    assert (await client.get("/optout/short")).status_code == 404
