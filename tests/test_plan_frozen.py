"""The reporting plan is frozen when a wave opens: the rollup, trends and the respondent page
use those groups, and nothing done to the directory afterwards changes them. Reads compare and
explain groups: a change is only called within one group, and a subtree reported in parts says
with whom."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg

from service.analytics.changes import wave_changes
from service.analytics.trends import team_trend
from service.surveys.waves import open_wave
from tests.factories import TEST_SECRET, Org
from tests.worlds import answered_wave, close_test_wave, make_world

SPEC = {"Product": {"Platform": {}, "Data": {}, "Design": {}}}
SIZES = {"Platform": 12, "Data": 7, "Design": 3}


async def _plan(pool: asyncpg.Pool, wave_id: UUID) -> dict[tuple[UUID, str], asyncpg.Record]:
    rows = await pool.fetch("SELECT * FROM wave_plan WHERE wave_id = $1", wave_id)
    return {(r["team_id"], r["scope"]): r for r in rows}


async def test_opening_a_wave_stores_its_groups(pool: asyncpg.Pool, org: Org) -> None:
    teams, pulse_id = await make_world(pool, org.id, SPEC, SIZES)
    async with pool.acquire() as conn:
        wave_id = await open_wave(conn, org.id, pulse_id, secret=TEST_SECRET)
    plan = await _plan(pool, wave_id)
    assert len(plan) == 8  # a team key and a subtree key for each of the four teams
    for team in ("Data", "Design"):
        key = plan[(teams[team], "team")]
        assert (key["name"], key["invited"], key["pooled"]) == ("Data & Design", 10, True)
        assert set(key["atoms"]) == {teams["Data"], teams["Design"]}
    platform = plan[(teams["Platform"], "team")]
    assert (platform["name"], platform["invited"], platform["pooled"]) == ("Platform", 12, False)
    product = plan[(teams["Product"], "subtree")]
    assert (product["name"], product["invited"]) == ("Product", 22)


async def test_the_choice_of_each_team_is_frozen_with_the_wave(
    pool: asyncpg.Pool, org: Org
) -> None:
    teams, pulse_id = await make_world(pool, org.id, SPEC, SIZES)
    await pool.execute(
        "UPDATE teams SET report_with = $2 WHERE id = $1", teams["Design"], teams["Platform"]
    )
    async with pool.acquire() as conn:
        wave_id = await open_wave(conn, org.id, pulse_id, secret=TEST_SECRET)
    frozen = await pool.fetchval(
        "SELECT report_with FROM wave_teams WHERE wave_id = $1 AND team_id = $2",
        wave_id,
        teams["Design"],
    )
    assert frozen == teams["Platform"]
    plan = await _plan(pool, wave_id)
    assert plan[(teams["Design"], "team")]["name"] == "Design & Platform"
    assert plan[(teams["Data"], "team")]["name"] == "Data"


async def test_the_rollup_uses_the_frozen_plan_and_does_not_plan_again(
    pool: asyncpg.Pool, org: Org
) -> None:
    teams, pulse_id = await make_world(pool, org.id, SPEC, SIZES)
    scores = {teams["Platform"]: [5] * 5, teams["Data"]: [4] * 6, teams["Design"]: [6] * 3}
    wave_id = await answered_wave(pool, org.id, pulse_id, scores, close=False)
    # Mark the frozen rows: a plan made again at close would not carry this name.
    await pool.execute(
        "UPDATE wave_plan SET name = 'Data & Design (as frozen)' WHERE wave_id = $1"
        " AND name = 'Data & Design'",
        wave_id,
    )
    before = await _plan(pool, wave_id)
    assert await close_test_wave(pool, org.id, wave_id)
    assert await _plan(pool, wave_id) == before
    names = {
        (r["team_id"], r["scope"]): r["name"]
        for r in await pool.fetch("SELECT * FROM wave_groups WHERE wave_id = $1", wave_id)
    }
    assert names[(teams["Design"], "team")] == "Data & Design (as frozen)"
    assert names[(teams["Data"], "team")] == "Data & Design (as frozen)"


async def test_later_changes_to_the_tree_or_a_choice_do_not_change_an_opened_waves_groups(
    pool: asyncpg.Pool, org: Org
) -> None:
    teams, pulse_id = await make_world(pool, org.id, SPEC, SIZES)
    scores = {teams["Platform"]: [5] * 5, teams["Data"]: [4] * 6, teams["Design"]: [6] * 3}
    wave_id = await answered_wave(pool, org.id, pulse_id, scores, close=False)
    before = await _plan(pool, wave_id)
    # While the wave runs: Design chooses Platform, Data moves out from under Product, and a
    # new team appears next to Design.
    await pool.execute(
        "UPDATE teams SET report_with = $2 WHERE id = $1", teams["Design"], teams["Platform"]
    )
    await pool.execute("UPDATE teams SET parent_id = NULL WHERE id = $1", teams["Data"])
    await pool.execute(
        "INSERT INTO teams (org_id, parent_id, name) VALUES ($1, $2, 'Research')",
        org.id,
        teams["Product"],
    )
    assert await close_test_wave(pool, org.id, wave_id)
    assert await _plan(pool, wave_id) == before
    async with pool.acquire() as conn:
        design = await team_trend(conn, org.id, teams["Design"], subtree=False)
        data = await team_trend(conn, org.id, teams["Data"], subtree=False)
    for trend in (design, data):
        assert [(w.group, w.pooled) for w in trend.waves] == [("Data & Design", True)]
        assert trend.waves[0].respondents == 9


async def test_a_heatmap_change_is_only_called_between_rounds_of_the_same_group(
    pool: asyncpg.Pool, org: Org
) -> None:
    teams, pulse_id = await make_world(pool, org.id, SPEC, {**SIZES, "Design": 5})
    first = {teams["Platform"]: [3] * 10, teams["Data"]: [3] * 6, teams["Design"]: [3] * 5}
    await answered_wave(
        pool, org.id, pulse_id, first, opens_at=datetime.now(UTC) - timedelta(days=14)
    )
    # Two of Design leave: from the next round on, Design (3) is reported with Data.
    await pool.execute(
        "UPDATE people SET active = false WHERE id IN"
        " (SELECT id FROM people WHERE team_id = $1 LIMIT 2)",
        teams["Design"],
    )
    second = {teams["Platform"]: [6] * 10, teams["Data"]: [6] * 6, teams["Design"]: [6] * 3}
    wave_id = await answered_wave(pool, org.id, pulse_id, second)
    dims = await pool.fetchval(
        "SELECT array_agg(DISTINCT dimension) FROM items i JOIN waves w"
        " ON i.key = ANY (w.item_keys) AND i.org_id = w.org_id WHERE w.id = $1",
        wave_id,
    )
    ids = [teams["Platform"], teams["Data"], teams["Design"]]
    async with pool.acquire() as conn:
        changes = await wave_changes(conn, org.id, wave_id, ids, list(dims), k=5)
    assert {t for t, _ in changes} == {teams["Platform"]}
    assert all(c.change == "up" for c in changes.values())


async def test_a_subtree_pooled_with_teams_outside_it_names_them_in_its_reason(
    pool: asyncpg.Pool, org: Org
) -> None:
    teams, pulse_id = await make_world(
        pool, org.id, {"P": {"X": {"Y": {}}, "Z": {}}}, {"Y": 3, "Z": 6}
    )
    await answered_wave(pool, org.id, pulse_id, {teams["Y"]: [5, 5, 5], teams["Z"]: [4] * 6})
    async with pool.acquire() as conn:
        x = await team_trend(conn, org.id, teams["X"])
    (point,) = x.waves
    assert (point.reason_code, point.reason_about) == ("pooled", "Y & Z")
    assert point.reason == "not reported on its own: part of it is reported together with Y & Z"
    assert all(p.result.reason_about == "Y & Z" for s in x.series for p in s.points)
