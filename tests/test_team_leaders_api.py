"""The admin API that marks who leads which team and who is a console admin."""

from __future__ import annotations

from typing import Any

import asyncpg

from tests.factories import Org, make_people, make_team_tree


async def test_an_admin_marks_leaders_and_admins(
    client: Any, pool: asyncpg.Pool, org: Org, other_org: Org
) -> None:
    teams = await make_team_tree(pool, org.id, {"Engineering": {"Platform": {}}})
    a, b = await make_people(pool, org.id, teams["Platform"], 2)
    (foreign,) = await make_people(pool, other_org.id, None, 1)
    url = f"/api/v1/teams/{teams['Engineering']}/leaders"
    r = await client.put(url, json={"person_ids": [str(a), str(b)]}, headers=org.headers)
    assert r.status_code == 200
    assert {x["person_id"] for x in r.json()["leaders"]} == {str(a), str(b)}
    r = await client.put(url, json={"person_ids": [str(b)]}, headers=org.headers)
    assert [x["person_id"] for x in r.json()["leaders"]] == [str(b)]
    # Another org's person is not a person of this org.
    r = await client.put(url, json={"person_ids": [str(foreign)]}, headers=org.headers)
    assert r.status_code == 400 and str(foreign) in r.text
    assert (await client.get(url, headers=org.headers)).json()["leaders"][0]["person_id"] == str(b)

    r = await client.put(f"/api/v1/people/{a}/admin", json={"admin": True}, headers=org.headers)
    assert r.status_code == 200 and r.json() == {"person_id": str(a), "admin": True, "leads": []}
    roles = await client.get(f"/api/v1/people/{b}/roles", headers=org.headers)
    assert roles.json() == {
        "person_id": str(b),
        "admin": False,
        "leads": [str(teams["Engineering"])],
    }
    # Another org's admin key: the same 404 as for a team that does not exist.
    assert (await client.get(url, headers=other_org.headers)).status_code == 404
    assert (
        await client.put(
            f"/api/v1/people/{a}/admin", json={"admin": False}, headers=other_org.headers
        )
    ).status_code == 404
