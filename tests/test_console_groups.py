"""The console shows pooled groups: a small team reported together with another says so on its
page, its card and the heatmap, in en and nl; hidden numbers explain themselves with the group
their reason is about, from the guard's structured reason (never by parsing the API's words)."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import asyncpg

from tests.factories import Org, make_people, signed_in
from tests.worlds import answered_wave, console_world, make_world

TOGETHER = "Reported together as “Data &amp; Design”"
WHY = "A team with fewer than 5 people is reported together with another, so that it keeps a voice."


async def test_a_pooled_team_page_names_its_group_and_why(client: Any, pool: asyncpg.Pool) -> None:
    w = await console_world(pool)
    s = await signed_in(pool, w.org.id, w.leader)
    for team in ("Design", "Data"):
        page = await client.get(f"/console/teams/{w.teams[team]}", headers=s.headers)
        assert page.status_code == 200
        assert f'<p class="notice group">{TOGETHER}. {WHY}</p>' in page.text
        # Every round of the demo reported the pair: each row of the rounds table says so.
        assert page.text.count("as “Data &amp; Design”</span>") == 8
        assert '<td class="num">' in page.text  # and its numbers are shown
    platform = await client.get(f"/console/teams/{w.teams['Platform']}", headers=s.headers)
    assert "Reported together" not in platform.text
    await client.post("/console/language", data={"csrf": s.csrf, "lang": "nl"}, headers=s.headers)
    nl = await client.get(f"/console/teams/{w.teams['Design']}", headers=s.headers)
    assert (
        "Samen gerapporteerd als “Data &amp; Design”. Een team met minder dan 5 mensen" in nl.text
    )
    assert "als “Data &amp; Design”</span>" in nl.text


async def test_my_teams_and_the_heatmap_show_the_group(client: Any, pool: asyncpg.Pool) -> None:
    w = await console_world(pool)
    await pool.execute(
        "INSERT INTO team_leaders (org_id, team_id, person_id) VALUES ($1, $2, $3)",
        w.org.id,
        w.teams["Design"],
        w.leader,
    )
    s = await signed_in(pool, w.org.id, w.leader)
    cards = (await client.get("/console/teams", headers=s.headers)).text
    design_card = re.search(rf'data-team="{w.teams["Design"]}">(.*?)</li>', cards, re.S)
    product_card = re.search(rf'data-team="{w.teams["Product"]}">(.*?)</li>', cards, re.S)
    assert design_card and TOGETHER in design_card.group(1)
    assert product_card and "Reported together" not in product_card.group(1)

    heat = (await client.get("/console/heatmap", headers=s.headers)).text
    rows = {
        team: re.search(rf'<tr data-team="{w.teams[team]}">(.*?)</tr>', heat, re.S)
        for team in ("Data", "Design", "Platform", "Product")
    }
    for team, row in rows.items():
        assert row is not None
        assert (TOGETHER in row.group(1)) == (team in ("Data", "Design")), team


async def _lead(pool: asyncpg.Pool, org_id: UUID, team_id: UUID) -> UUID:
    (person,) = await make_people(pool, org_id, None, 1)
    await pool.execute(
        "INSERT INTO team_leaders (org_id, team_id, person_id) VALUES ($1, $2, $3)",
        org_id,
        team_id,
        person,
    )
    return person


async def test_a_subtree_pooled_with_teams_outside_it_says_with_whom(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    # Y (3 people) is X's only team; it is reported together with Z, outside X's subtree.
    teams, pulse_id = await make_world(
        pool, org.id, {"P": {"X": {"Y": {}}, "Z": {}}}, {"Y": 3, "Z": 6}
    )
    await answered_wave(pool, org.id, pulse_id, {teams["Y"]: [5, 5, 5], teams["Z"]: [4] * 6})
    s = await signed_in(pool, org.id, await _lead(pool, org.id, teams["P"]))
    x = await client.get(f"/console/teams/{teams['X']}", headers=s.headers)
    assert x.status_code == 200
    assert "not reported on its own: part of it is reported together with Y &amp; Z" in x.text
    assert "Reported together as" not in x.text  # the reason says it; no group note
    y = await client.get(f"/console/teams/{teams['Y']}", headers=s.headers)
    assert "Reported together as “Y &amp; Z”" in y.text
    await client.post("/console/language", data={"csrf": s.csrf, "lang": "nl"}, headers=s.headers)
    nl = await client.get(f"/console/teams/{teams['X']}", headers=s.headers)
    assert (
        "niet apart gerapporteerd: een deel ervan wordt samen met Y &amp; Z gerapporteerd"
        in nl.text
    )
