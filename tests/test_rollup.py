"""Rollups written at close: counts, sums, favourable, histograms, subtrees, hidden marks."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from service.analytics.rollup import rollup_wave
from tests.factories import Org
from tests.worlds import answered_wave, make_world

SPEC = {"Eng": {"Platform": {}, "Apps": {}, "Tiny": {}}}
SIZES = {"Eng": 1, "Platform": 7, "Apps": 6, "Tiny": 3}


async def _cells(pool: asyncpg.Pool, wave_id: Any, **where: Any) -> dict[tuple[Any, ...], Any]:
    rows = await pool.fetch("SELECT * FROM wave_cells WHERE wave_id = $1", wave_id)
    return {(r["team_id"], r["scope"], r["kind"], r["key"]): r for r in rows}


async def test_close_writes_item_and_dimension_rollups_per_team_and_subtree(
    pool: asyncpg.Pool, org: Org
) -> None:
    teams, pulse_id = await make_world(pool, org.id, SPEC, SIZES)
    scores = {teams["Platform"]: [7, 6, 5, 4, 3], teams["Apps"]: [2, 2, 2, 2, 2, 2]}
    wave_id = await answered_wave(pool, org.id, pulse_id, scores)

    keys = await pool.fetchval("SELECT item_keys FROM waves WHERE id = $1", wave_id)
    dims = {
        r["dimension"]
        for r in await pool.fetch(
            "SELECT dimension FROM items WHERE org_id = $1 AND key = ANY($2)", org.id, keys
        )
    }
    cells = await _cells(pool, wave_id)
    item = keys[0]
    p = cells[(teams["Platform"], "team", "item", item)]
    assert p["n"] == 5
    assert p["sum_raw"] == 25 and p["sumsq_raw"] == 49 + 36 + 25 + 16 + 9
    assert p["favourable"] == 2  # 7 and 6 are the top two boxes
    assert p["hist"] == [0, 0, 1, 1, 1, 1, 1]
    assert p["sum100"] == pytest.approx(100 * (6 + 5 + 4 + 3 + 2) / 6)
    # A leaf's subtree holds the same numbers as the team itself.
    assert cells[(teams["Platform"], "subtree", "item", item)]["sum_raw"] == 25
    eng = cells[(teams["Eng"], "subtree", "item", item)]
    assert eng["n"] == 11 and eng["sum_raw"] == 25 + 12
    assert eng["hist"] == [0, 6, 1, 1, 1, 1, 1]
    for dim in dims:
        d = cells[(teams["Eng"], "subtree", "dimension", dim)]
        assert d["n"] == 11
        assert d["sum_raw"] == pytest.approx(37)
        assert d["favourable"] == 2
        assert sum(d["hist"]) == 11
    # Eng's own member (1) is reported with Apps, and Tiny (3) with Platform: their 'team'
    # cells hold the pooled groups' numbers, named after their parts.
    assert cells[(teams["Eng"], "team", "item", item)]["sum_raw"] == 12
    assert cells[(teams["Tiny"], "team", "item", item)]["sum_raw"] == 25
    names = {
        (r["team_id"], r["scope"]): (r["name"], r["pooled"])
        for r in await pool.fetch("SELECT * FROM wave_groups WHERE wave_id = $1", wave_id)
    }
    assert names[(teams["Tiny"], "team")] == ("Platform & Tiny", True)
    assert names[(teams["Eng"], "team")] == ("Apps & Eng (direct members)", True)
    assert names[(teams["Eng"], "subtree")] == ("Eng", False)


async def test_groups_count_invited_responded_and_mark_hidden_cells(
    pool: asyncpg.Pool, org: Org
) -> None:
    teams, pulse_id = await make_world(pool, org.id, SPEC, SIZES)
    scores = {teams["Platform"]: [5] * 6, teams["Apps"]: [4] * 6, teams["Tiny"]: [3, 3]}
    wave_id = await answered_wave(pool, org.id, pulse_id, scores)
    rows = await pool.fetch("SELECT * FROM wave_groups WHERE wave_id = $1", wave_id)
    g = {(r["team_id"], r["scope"]): r for r in rows}
    assert g[(teams["Eng"], "subtree")]["invited"] == 17
    assert g[(teams["Eng"], "subtree")]["responded"] == 14
    assert g[(teams["Eng"], "subtree")]["n"] == 14
    # Tiny's 2 answers are reported with Platform's 6; Eng's own member's with Apps: no group
    # is too small, so nothing is hidden, and nobody's answers stand alone.
    assert g[(teams["Tiny"], "team")]["n"] == 8 and g[(teams["Tiny"], "team")]["pooled"]
    assert {key: r["hidden"] for key, r in g.items() if r["hidden"]} == {}
    # Every measure follows the groups when everyone answered everything.
    cells = await pool.fetch(
        "SELECT team_id, scope, hidden FROM wave_cells WHERE wave_id = $1", wave_id
    )
    for c in cells:
        assert c["hidden"] == g[(c["team_id"], c["scope"])]["hidden"]


async def test_a_complement_names_the_small_group_it_protects(pool: asyncpg.Pool, org: Org) -> None:
    teams, pulse_id = await make_world(pool, org.id, SPEC, SIZES)
    # Platform & Tiny answer 3 in all (too few); Eng's subtree minus Apps would give them away,
    # so Apps's group is hidden too, with words that say why and what would show both.
    scores = {teams["Platform"]: [5, 5], teams["Apps"]: [4] * 6, teams["Tiny"]: [3]}
    wave_id = await answered_wave(pool, org.id, pulse_id, scores)
    rows = await pool.fetch("SELECT * FROM wave_groups WHERE wave_id = $1", wave_id)
    g = {(r["team_id"], r["scope"]): r for r in rows}
    assert g[(teams["Tiny"], "team")]["hidden"] == "few"
    assert g[(teams["Apps"], "team")]["hidden"] == "complement"
    assert g[(teams["Apps"], "team")]["hidden_because"] == "Platform & Tiny"
    assert g[(teams["Eng"], "subtree")]["hidden"] is None


async def test_rollup_again_replaces_rows_instead_of_doubling(pool: asyncpg.Pool, org: Org) -> None:
    teams, pulse_id = await make_world(pool, org.id, SPEC, SIZES)
    wave_id = await answered_wave(pool, org.id, pulse_id, {teams["Platform"]: [5] * 6})
    before = await pool.fetchval("SELECT sum(n) FROM wave_cells WHERE wave_id = $1", wave_id)
    async with pool.acquire() as conn, conn.transaction():
        await rollup_wave(conn, org.id, wave_id)
    assert (
        await pool.fetchval("SELECT sum(n) FROM wave_cells WHERE wave_id = $1", wave_id) == before
    )


async def test_skipped_and_out_of_range_answers_are_not_counted(
    pool: asyncpg.Pool, org: Org
) -> None:
    teams, pulse_id = await make_world(pool, org.id, SPEC, SIZES)
    wave_id = await answered_wave(pool, org.id, pulse_id, {teams["Platform"]: [5] * 6}, close=False)
    keys = await pool.fetchval("SELECT item_keys FROM waves WHERE id = $1", wave_id)
    await pool.execute(
        "INSERT INTO ballots (org_id, wave_id, team_id, answers) VALUES ($1, $2, $3, $4)",
        org.id,
        wave_id,
        teams["Platform"],
        {keys[0]: None, keys[1]: 99, keys[2]: "7"},
    )
    async with pool.acquire() as conn:
        from service.analytics.rollup import rollup_wave
        from service.surveys.waves import close_wave

        await close_wave(conn, org.id, wave_id, after_close=rollup_wave)
    cells = await _cells(pool, wave_id)
    for key in keys[:3]:
        assert cells[(teams["Platform"], "team", "item", key)]["n"] == 6
    assert (
        await pool.fetchval(
            "SELECT n FROM wave_groups WHERE wave_id = $1 AND team_id = $2 AND scope = 'team'",
            wave_id,
            teams["Platform"],
        )
        == 7
    )
