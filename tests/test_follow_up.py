"""The follow-up item: once a team has recorded a focus, the next waves ask its people whether it
did what it agreed to try; other teams are not asked, and their trends do not pretend they were."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from service.analytics.rollup import rollup_wave
from service.analytics.trends import team_trend
from service.surveys.pulses import FOLLOW_UP_ITEM
from service.surveys.respond import submit, token_for
from service.surveys.waves import close_wave, open_wave
from tests.factories import TEST_SECRET, Org
from tests.worlds import make_world


async def _tokens(pool: asyncpg.Pool, wave: UUID, team: UUID) -> list[str]:
    rows = await pool.fetch(
        "SELECT id FROM invitations WHERE wave_id = $1 AND team_id = $2 ORDER BY id", wave, team
    )
    return [token_for(TEST_SECRET, r["id"]) for r in rows]


async def test_a_team_with_a_focus_is_asked_the_follow_up_and_only_that_team(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    teams, pulse = await make_world(pool, org.id, {"Ops": {}, "Apps": {}}, {"Ops": 6, "Apps": 6})
    await pool.execute(
        """INSERT INTO team_focus (org_id, team_id, dimension, try_text, agreed_on)
           VALUES ($1, $2, 'speaking_up', 'Open each planning with a round of concerns', $3)""",
        org.id,
        teams["Ops"],
        date.today() - timedelta(days=3),
    )
    async with pool.acquire() as conn:
        wave = await open_wave(conn, org.id, pulse, secret=TEST_SECRET)
    keys = list(await pool.fetchval("SELECT item_keys FROM waves WHERE id = $1", wave))
    assert FOLLOW_UP_ITEM in keys
    ops, apps = await _tokens(pool, wave, teams["Ops"]), await _tokens(pool, wave, teams["Apps"])

    asked = (await client.get(f"/api/v1/respond/{ops[0]}")).json()
    not_asked = (await client.get(f"/api/v1/respond/{apps[0]}")).json()
    assert FOLLOW_UP_ITEM in {i["key"] for i in asked["items"]}
    assert FOLLOW_UP_ITEM not in {i["key"] for i in not_asked["items"]}

    others = {k: 5 for k in keys if k != FOLLOW_UP_ITEM}
    async with pool.acquire() as conn:
        # Ops must answer it; Apps is neither asked nor allowed to.
        missing = await submit(conn, ops[0], others, None)
        assert missing.status == "invalid" and missing.errors == {FOLLOW_UP_ITEM: "err_missing"}
        extra = await submit(conn, apps[0], {**others, FOLLOW_UP_ITEM: 6}, None)
        assert extra.status == "invalid" and extra.errors == {FOLLOW_UP_ITEM: "err_unknown"}
        for token in ops:
            assert (
                await submit(conn, token, {**others, FOLLOW_UP_ITEM: 6}, None)
            ).status == "stored"
        for token in apps:
            assert (await submit(conn, token, others, None)).status == "stored"
        assert await close_wave(conn, org.id, wave, after_close=rollup_wave)
        ops_trend = await team_trend(conn, org.id, teams["Ops"])
        apps_trend = await team_trend(conn, org.id, teams["Apps"])
    follow = {s.key: s for s in ops_trend.series}["follow_through"]
    assert follow.points[-1].result.published and follow.points[-1].result.n == 6
    assert "follow_through" not in {s.key for s in apps_trend.series}


async def test_a_pulse_cannot_list_the_follow_up_item_itself(client: Any, org: Org) -> None:
    r = await client.get("/api/v1/teams", headers=org.headers)
    team = (await client.post("/api/v1/teams", json={"name": "Ops"}, headers=org.headers)).json()[
        "id"
    ]
    r = await client.post(
        "/api/v1/pulses",
        json={
            "name": "P",
            "team_ids": [team],
            "core_items": ["ps.risk", FOLLOW_UP_ITEM],
            "starts_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
        },
        headers=org.headers,
    )
    assert r.status_code == 400 and "follow-up item" in r.json()["detail"]
    assert (await client.get("/api/v1/pulses", headers=org.headers)).json() == []


async def test_every_new_org_has_the_follow_up_item(client: Any, org: Org) -> None:
    r = await client.get(f"/api/v1/items/{FOLLOW_UP_ITEM}", headers=org.headers)
    assert r.status_code == 200
    assert r.json()["dimension"] == "follow_through"
    assert r.json()["texts"]["nl"].startswith("De afgelopen weken")
