"""Opening and closing waves: frozen teams and membership, locked thresholds, one invitation
per active member, an outbox row each, and a close that empties the ballot box exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from service.surveys.respond import token_for, token_hash
from service.surveys.waves import open_wave
from tests.factories import (
    TEST_SECRET,
    Org,
    full_answers,
    make_org,
    make_people,
    make_pulse,
    make_team_tree,
)
from tests.worlds import close_test_wave, open_test_wave


async def test_opening_freezes_subtree_members_and_thresholds(pool: asyncpg.Pool, org: Org) -> None:
    teams = await make_team_tree(
        pool, org.id, {"Eng": {"Platform": {"SRE": {}}, "Apps": {}}, "Sales": {}}
    )
    platform = await make_people(pool, org.id, teams["Platform"], 4)
    sre = await make_people(pool, org.id, teams["SRE"], 3)
    await make_people(pool, org.id, teams["Apps"], 2, active=False)
    await make_people(pool, org.id, teams["Sales"], 5)
    await pool.execute("UPDATE people SET opted_out = true WHERE id = $1", platform[0])
    pulse_id = await make_pulse(pool, org.id, [teams["Platform"]], k=4, comment_k=12, open_days=3)
    opens = datetime(2026, 11, 2, 9, tzinfo=UTC)
    async with pool.acquire() as conn:
        wave_id = await open_wave(conn, org.id, pulse_id, opens_at=opens, secret=TEST_SECRET)

    wave = await pool.fetchrow("SELECT * FROM waves WHERE id = $1", wave_id)
    assert (wave["seq"], wave["k"], wave["comment_k"], wave["state"]) == (1, 4, 12, "open")
    assert wave["opens_at"] == opens and wave["closes_at"] == opens + timedelta(days=3)
    assert 3 <= len(wave["item_keys"]) <= 7

    frozen = {
        r["name"]: (r["parent_id"], r["invited"])
        for r in await pool.fetch("SELECT * FROM wave_teams WHERE wave_id = $1", wave_id)
    }
    assert frozen == {"Platform": (None, 3), "SRE": (teams["Platform"], 3)}
    invited = {r["person_id"] for r in await pool.fetch("SELECT person_id FROM invitations")}
    assert invited == set(platform[1:]) | set(sre)

    # Later changes to the pulse or the directory do not rewrite the open wave.
    await pool.execute("UPDATE pulses SET k = 9, comment_k = 20 WHERE id = $1", pulse_id)
    await pool.execute("UPDATE people SET team_id = $1 WHERE id = $2", teams["Sales"], sre[0])
    again = await pool.fetchrow("SELECT k, comment_k FROM waves WHERE id = $1", wave_id)
    assert (again["k"], again["comment_k"]) == (4, 12)
    team_of = await pool.fetchval("SELECT team_id FROM invitations WHERE person_id = $1", sre[0])
    assert team_of == teams["SRE"]


async def test_each_invitation_gets_a_pending_invite_in_the_outbox(
    pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id, people=5)
    rows = await pool.fetch(
        """SELECT o.kind, o.state FROM outbox o JOIN invitations i
           ON i.org_id = o.org_id AND i.id = o.invitation_id WHERE i.wave_id = $1""",
        w.wave_id,
    )
    assert len(rows) == 5
    assert {(r["kind"], r["state"]) for r in rows} == {("invite", "pending")}


async def test_only_the_hash_of_each_derived_token_is_stored(pool: asyncpg.Pool, org: Org) -> None:
    w = await open_test_wave(pool, org.id, people=3)
    rows = await pool.fetch("SELECT id, token_hash FROM invitations WHERE wave_id = $1", w.wave_id)
    for r in rows:
        token = token_for(TEST_SECRET, r["id"])
        assert len(token) == 43 and r["token_hash"] == token_hash(token)
    dump = " ".join(str(dict(r)) for r in await pool.fetch("SELECT * FROM invitations"))
    assert not any(t in dump for t in w.tokens)


async def test_a_pulse_has_one_open_wave_and_seq_counts_up(pool: asyncpg.Pool, org: Org) -> None:
    w = await open_test_wave(pool, org.id)
    async with pool.acquire() as conn:
        with pytest.raises(Exception, match="already has an open wave"):
            await open_wave(conn, org.id, w.pulse_id, secret=TEST_SECRET)
    assert await close_test_wave(pool, org.id, w.wave_id)
    async with pool.acquire() as conn:
        second = await open_wave(conn, org.id, w.pulse_id, secret=TEST_SECRET)
    assert await pool.fetchval("SELECT seq FROM waves WHERE id = $1", second) == 2


async def test_closing_moves_ballots_once_and_is_idempotent(pool: asyncpg.Pool, org: Org) -> None:
    w = await open_test_wave(pool, org.id, people=4)
    for n, comment in enumerate(["good team", None, "more tea please"]):
        await pool.execute(
            """INSERT INTO ballots (org_id, wave_id, team_id, answers, comment)
               VALUES ($1, $2, $3, $4, $5)""",
            org.id,
            w.wave_id,
            w.teams["Platform"],
            full_answers(w.item_keys, n + 1),
            comment,
        )
    assert await close_test_wave(pool, org.id, w.wave_id) is True
    assert await pool.fetchval("SELECT count(*) FROM ballots") == 0
    assert await pool.fetchval("SELECT count(*) FROM responses WHERE wave_id = $1", w.wave_id) == 3
    bodies = {r["body"] for r in await pool.fetch("SELECT body FROM comments")}
    assert bodies == {"good team", "more tea please"}
    wave = await pool.fetchrow("SELECT state, closed_at FROM waves WHERE id = $1", w.wave_id)
    assert wave["state"] == "closed" and wave["closed_at"] is not None
    assert await close_test_wave(pool, org.id, w.wave_id) is False
    assert await pool.fetchval("SELECT count(*) FROM responses") == 3


async def test_opening_with_nobody_to_invite_changes_nothing(pool: asyncpg.Pool, org: Org) -> None:
    teams = await make_team_tree(pool, org.id, ["Empty"])
    pulse_id = await make_pulse(pool, org.id, [teams["Empty"]])
    async with pool.acquire() as conn:
        with pytest.raises(Exception, match="Nobody to invite"):
            await open_wave(conn, org.id, pulse_id, secret=TEST_SECRET)
    assert await pool.fetchval("SELECT count(*) FROM waves") == 0


# --- the admin API ----------------------------------------------------------------------------


async def test_admin_opens_lists_and_closes_a_wave_over_http(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    teams = await make_team_tree(pool, org.id, {"Eng": {"Ops": {}}})
    await make_people(pool, org.id, teams["Ops"], 6)
    pulse_id = await make_pulse(pool, org.id, [teams["Eng"]], k=3)

    r = await client.post(f"/api/v1/pulses/{pulse_id}/waves", headers=org.headers)
    assert r.status_code == 201, r.text
    wave = r.json()
    assert wave["state"] == "open" and wave["seq"] == 1 and wave["k"] == 3
    assert {t["name"]: t["invited"] for t in wave["teams"]} == {"Eng": 0, "Ops": 6}
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 6

    r = await client.post(f"/api/v1/pulses/{pulse_id}/waves", headers=org.headers)
    assert r.status_code == 409

    listed = (await client.get(f"/api/v1/waves?pulse_id={pulse_id}", headers=org.headers)).json()
    assert [x["id"] for x in listed] == [wave["id"]]
    one = await client.get(f"/api/v1/waves/{wave['id']}", headers=org.headers)
    assert one.status_code == 200 and one.json()["id"] == wave["id"]

    r = await client.post(f"/api/v1/waves/{wave['id']}/close", headers=org.headers)
    assert r.status_code == 200 and r.json()["state"] == "closed"
    r = await client.post(f"/api/v1/waves/{wave['id']}/close", headers=org.headers)
    assert r.status_code == 200 and r.json()["state"] == "closed"


async def test_another_orgs_key_sees_no_wave_and_cannot_open_or_close(
    client: Any, pool: asyncpg.Pool, org: Org, other_org: Org
) -> None:
    w = await open_test_wave(pool, org.id)
    for method, path in (
        ("get", f"/api/v1/waves/{w.wave_id}"),
        ("post", f"/api/v1/waves/{w.wave_id}/close"),
        ("post", f"/api/v1/pulses/{w.pulse_id}/waves"),
    ):
        r = await getattr(client, method)(path, headers=other_org.headers)
        assert r.status_code == 404, (path, r.text)
    assert (await client.get("/api/v1/waves", headers=other_org.headers)).json() == []
    assert await pool.fetchval("SELECT state FROM waves WHERE id = $1", w.wave_id) == "open"


async def test_leader_sees_waves_of_their_teams_without_invited_counts(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id)
    r = await client.post(
        "/api/v1/keys",
        json={"name": "lead", "role": "leader", "scope_team_ids": [str(w.teams["Platform"])]},
        headers=org.headers,
    )
    leader = {"Authorization": f"Bearer {r.json()['key']}"}
    one = (await client.get(f"/api/v1/waves/{w.wave_id}", headers=leader)).json()
    assert [t["name"] for t in one["teams"]] == ["Platform"]
    assert one["teams"][0]["invited"] is None
    assert (
        await client.post(f"/api/v1/waves/{w.wave_id}/close", headers=leader)
    ).status_code == 404
    other = await make_org(pool, "Initech")
    assert (
        await client.get(f"/api/v1/waves/{w.wave_id}", headers=other.headers)
    ).status_code == 404


async def test_opening_survives_a_redis_outage(
    client: Any, app: Any, pool: asyncpg.Pool, org: Org
) -> None:
    teams = await make_team_tree(pool, org.id, ["Ops"])
    await make_people(pool, org.id, teams["Ops"], 3)
    pulse_id = await make_pulse(pool, org.id, [teams["Ops"]], k=3)
    from service.app import redis_client

    real = app.state.redis
    app.state.redis = redis_client("redis://127.0.0.1:1/0", "candor:queue")
    try:
        r = await client.post(f"/api/v1/pulses/{pulse_id}/waves", headers=org.headers)
    finally:
        await app.state.redis.aclose()
        app.state.redis = real
    assert r.status_code == 201
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE state = 'pending'") == 3


async def test_opening_over_http_nudges_delivery_once_committed(
    client: Any, pool: asyncpg.Pool, org: Org, redis_url: str
) -> None:
    from redis.asyncio import Redis

    from service.surveys.delivery.outbox import delivery_job_id

    teams = await make_team_tree(pool, org.id, ["Ops"])
    await make_people(pool, org.id, teams["Ops"], 3)
    pulse_id = await make_pulse(pool, org.id, [teams["Ops"]], k=3)
    r = await client.post(f"/api/v1/pulses/{pulse_id}/waves", headers=org.headers)
    assert r.status_code == 201
    redis = Redis.from_url(redis_url)
    try:
        job_key = f"arq:job:{delivery_job_id(org.id, r.json()['id'])}"
        assert await redis.exists(job_key) == 1
    finally:
        await redis.aclose()


async def test_a_wave_closed_early_says_the_day_it_really_closed(
    pool: asyncpg.Pool, org: Org
) -> None:
    w = await open_test_wave(pool, org.id, people=4)
    planned = await pool.fetchval("SELECT closes_at FROM waves WHERE id = $1", w.wave_id)
    assert planned > datetime.now(UTC) + timedelta(hours=1)
    assert await close_test_wave(pool, org.id, w.wave_id) is True
    row = await pool.fetchrow(
        "SELECT opens_at, closes_at, closed_at FROM waves WHERE id = $1", w.wave_id
    )
    assert row["closes_at"] == row["closed_at"] and row["opens_at"] < row["closes_at"] < planned


async def test_opening_by_hand_takes_a_slot_that_has_come_and_keeps_one_ahead(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    teams = await make_team_tree(pool, org.id, {"Eng": {"Ops": {}}})
    await make_people(pool, org.id, teams["Ops"], 6)
    past = datetime.now(UTC) - timedelta(days=3)
    due = await make_pulse(pool, org.id, [teams["Eng"]], k=3, starts_at=past, next_wave_at=past)
    r = await client.post(f"/api/v1/pulses/{due}/waves", headers=org.headers)
    assert r.status_code == 201, r.text
    moved = await pool.fetchval("SELECT next_wave_at FROM pulses WHERE id = $1", due)
    assert moved == past + timedelta(weeks=1), "the slot that had come is taken; the next is due"
    # Closing it early does not let the scheduler open (and email) another wave at once.
    await client.post(f"/api/v1/waves/{r.json()['id']}/close", headers=org.headers)
    assert moved > datetime.now(UTC)

    ahead = datetime.now(UTC) + timedelta(days=9)
    later = await make_pulse(
        pool, org.id, [teams["Ops"]], k=3, starts_at=ahead, next_wave_at=ahead, name="Later"
    )
    r = await client.post(f"/api/v1/pulses/{later}/waves", headers=org.headers)
    assert r.status_code == 201, r.text
    assert await pool.fetchval("SELECT next_wave_at FROM pulses WHERE id = $1", later) == ahead
