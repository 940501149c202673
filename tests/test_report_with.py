"""An admin chooses whom a small team is reported together with: a sibling or the parent."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import asyncpg

from tests.factories import Org, make_leader_headers, make_team_tree

API = "/api/v1"
TREE = {"Product": {"Platform": {}, "Data": {}, "Design": {}}, "Sales": {"Field": {}}}


async def _choices(pool: asyncpg.Pool) -> dict[str, Any]:
    rows = await pool.fetch("SELECT name, report_with FROM teams ORDER BY name")
    return {r["name"]: r["report_with"] for r in rows}


async def test_an_admin_sets_shows_and_clears_a_choice(
    client: Any, org: Org, pool: asyncpg.Pool
) -> None:
    teams = await make_team_tree(pool, org.id, TREE)
    url = f"{API}/teams/{teams['Design']}/report-with"
    r = await client.put(url, json={"report_with": str(teams["Data"])}, headers=org.headers)
    assert r.status_code == 200, r.text
    assert r.json()["report_with"] == str(teams["Data"])
    shown = await client.get(f"{API}/teams/{teams['Design']}", headers=org.headers)
    assert shown.json()["report_with"] == str(teams["Data"])
    listed = await client.get(f"{API}/teams", headers=org.headers)
    by_name = {t["name"]: t["report_with"] for t in listed.json()["items"]}
    assert by_name["Design"] == str(teams["Data"]) and by_name["Platform"] is None

    # The parent (its own members) is a valid choice too.
    r = await client.put(url, json={"report_with": str(teams["Product"])}, headers=org.headers)
    assert r.status_code == 200 and r.json()["report_with"] == str(teams["Product"])

    r = await client.put(url, json={"report_with": None}, headers=org.headers)
    assert r.status_code == 200 and r.json()["report_with"] is None
    assert (await _choices(pool))["Design"] is None


async def test_bad_choices_are_400_with_words_and_change_nothing(
    client: Any, org: Org, other_org: Org, pool: asyncpg.Pool
) -> None:
    teams = await make_team_tree(pool, org.id, TREE)
    foreign = await make_team_tree(pool, other_org.id, {"Elsewhere": {}})
    archived = (await make_team_tree(pool, org.id, {"Old": {}}))["Old"]
    await pool.execute("UPDATE teams SET parent_id = $2 WHERE id = $1", archived, teams["Product"])
    await pool.execute("UPDATE teams SET archived_at = now() WHERE id = $1", archived)
    await pool.execute(
        "UPDATE teams SET report_with = $2 WHERE id = $1", teams["Design"], teams["Data"]
    )
    before = await _choices(pool)
    design = f"{API}/teams/{teams['Design']}/report-with"
    cases = [
        (design, {"report_with": str(teams["Design"])}, "itself"),
        (design, {"report_with": str(uuid4())}, "not a team of this org"),
        (design, {"report_with": str(foreign["Elsewhere"])}, "not a team of this org"),
        (design, {"report_with": str(archived)}, "archived"),
        (design, {"report_with": str(teams["Field"])}, "Field is neither"),
        (design, {"report_with": str(teams["Sales"])}, "Sales is neither"),
        (
            f"{API}/teams/{teams['Product']}/report-with",
            {"report_with": str(teams["Sales"])},
            "top-level",
        ),
        (design, {"report_with": "not-a-uuid"}, ""),
        (design, {"report_with": str(teams["Data"]), "extra": 1}, ""),
        (design, {}, ""),
    ]
    for url, body, words in cases:
        r = await client.put(url, json=body, headers=org.headers)
        assert r.status_code == 400, (body, r.text)
        assert words in r.json()["detail"], (body, r.json()["detail"])
    assert await _choices(pool) == before


async def test_only_admins_of_the_org_may_choose(
    client: Any, org: Org, other_org: Org, pool: asyncpg.Pool
) -> None:
    teams = await make_team_tree(pool, org.id, TREE)
    url = f"{API}/teams/{teams['Design']}/report-with"
    body = {"report_with": str(teams["Data"])}
    leader = await make_leader_headers(pool, org.id, [teams["Product"]])
    for headers in (leader, other_org.headers, {}):
        r = await client.put(url, json=body, headers=headers)
        assert r.status_code in (401, 404), r.text
    missing = await client.put(f"{API}/teams/{uuid4()}/report-with", json=body, headers=org.headers)
    assert missing.status_code == 404
    assert (await _choices(pool))["Design"] is None
