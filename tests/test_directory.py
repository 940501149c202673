"""The org chart API: teams as a tree (moves without cycles, archiving) and people."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID, uuid4

import msgspec

from service.surveys.directory.models import (
    PersonIn,
    PersonOut,
    TeamIn,
    TeamNode,
    TeamOut,
    TeamPage,
)
from tests.factories import Org, make_leader_headers, make_people, make_team_tree

API = "/api/v1"


async def _team_count(pool: Any) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM teams"))


async def _create_team(client: Any, org: Org, name: str, parent: UUID | None = None) -> TeamOut:
    r = await client.post(
        f"{API}/teams",
        content=msgspec.json.encode(TeamIn(name, parent)),
        headers={**org.headers, "content-type": "application/json"},
    )
    assert r.status_code == 201, r.text
    return msgspec.json.decode(r.content, type=TeamOut)


async def test_admin_builds_renames_and_lists_a_team_tree(client: Any, org: Org, pool: Any) -> None:
    eng = await _create_team(client, org, "Engineering")
    platform = await _create_team(client, org, "Platform", eng.id)
    await _create_team(client, org, "Apps", eng.id)
    assert platform.parent_id == eng.id

    r = await client.patch(
        f"{API}/teams/{platform.id}", json={"name": "Platform team"}, headers=org.headers
    )
    assert r.status_code == 200 and r.json()["name"] == "Platform team"

    tree = msgspec.json.decode(
        (await client.get(f"{API}/teams/tree", headers=org.headers)).content, type=list[TeamNode]
    )
    assert [n.name for n in tree] == ["Engineering"]
    assert [c.name for c in tree[0].children] == ["Apps", "Platform team"]


async def test_flat_team_list_is_paginated(client: Any, org: Org, pool: Any) -> None:
    await make_team_tree(pool, org.id, [f"Team {i:02d}" for i in range(7)])
    first = msgspec.json.decode(
        (await client.get(f"{API}/teams?limit=3&offset=0", headers=org.headers)).content,
        type=TeamPage,
    )
    last = msgspec.json.decode(
        (await client.get(f"{API}/teams?limit=3&offset=6", headers=org.headers)).content,
        type=TeamPage,
    )
    assert first.total == last.total == 7
    assert [t.name for t in first.items] == ["Team 00", "Team 01", "Team 02"]
    assert [t.name for t in last.items] == ["Team 06"]
    r = await client.get(f"{API}/teams?limit=0", headers=org.headers)
    assert r.status_code == 400


async def test_same_name_under_the_same_parent_is_a_conflict(
    client: Any, org: Org, pool: Any
) -> None:
    eng = await _create_team(client, org, "Engineering")
    r = await client.post(f"{API}/teams", json={"name": "engineering"}, headers=org.headers)
    assert r.status_code == 409
    # ...but the same name elsewhere in the tree is fine.
    await _create_team(client, org, "Engineering", eng.id)


async def test_move_changes_the_parent(client: Any, org: Org, pool: Any) -> None:
    t = await make_team_tree(pool, org.id, {"Eng": {"Platform": {}}, "Ops": {}})
    r = await client.post(
        f"{API}/teams/{t['Platform']}/move", json={"parent_id": str(t["Ops"])}, headers=org.headers
    )
    assert r.status_code == 200 and r.json()["parent_id"] == str(t["Ops"])
    r = await client.post(
        f"{API}/teams/{t['Platform']}/move", json={"parent_id": None}, headers=org.headers
    )
    assert r.status_code == 200 and r.json()["parent_id"] is None


async def test_moves_that_would_make_a_cycle_are_refused_and_change_nothing(
    client: Any, org: Org, pool: Any
) -> None:
    t = await make_team_tree(pool, org.id, {"A": {"B": {"C": {}}}})
    before = await pool.fetch("SELECT id, parent_id FROM teams ORDER BY id")
    for team, new_parent in (("A", "C"), ("A", "B"), ("B", "B")):
        r = await client.post(
            f"{API}/teams/{t[team]}/move",
            json={"parent_id": str(t[new_parent])},
            headers=org.headers,
        )
        assert r.status_code == 409, (team, new_parent)
        assert "cycle" in r.json()["detail"] or "own parent" in r.json()["detail"]
    assert await pool.fetch("SELECT id, parent_id FROM teams ORDER BY id") == before


async def test_concurrent_crossing_moves_cannot_build_a_cycle(
    client: Any, org: Org, pool: Any
) -> None:
    t = await make_team_tree(pool, org.id, ["X", "Y"])
    results = await asyncio.gather(
        client.post(
            f"{API}/teams/{t['X']}/move", json={"parent_id": str(t["Y"])}, headers=org.headers
        ),
        client.post(
            f"{API}/teams/{t['Y']}/move", json={"parent_id": str(t["X"])}, headers=org.headers
        ),
    )
    assert sorted(r.status_code for r in results) == [200, 409]
    roots = await pool.fetchval("SELECT count(*) FROM teams WHERE parent_id IS NULL")
    assert roots == 1


async def test_archiving_needs_an_empty_team_and_hides_it_from_lists(
    client: Any, org: Org, pool: Any
) -> None:
    t = await make_team_tree(pool, org.id, {"Eng": {"Platform": {}}})
    await make_people(pool, org.id, t["Platform"], 2)
    r = await client.post(f"{API}/teams/{t['Eng']}/archive", headers=org.headers)
    assert r.status_code == 409 and "sub-team" in r.json()["detail"]
    r = await client.post(f"{API}/teams/{t['Platform']}/archive", headers=org.headers)
    assert r.status_code == 409 and "member" in r.json()["detail"]
    await pool.execute("UPDATE people SET active = false")
    r = await client.post(f"{API}/teams/{t['Platform']}/archive", headers=org.headers)
    assert r.status_code == 200 and r.json()["archived"] is True
    names = [
        x["name"] for x in (await client.get(f"{API}/teams", headers=org.headers)).json()["items"]
    ]
    assert names == ["Eng"]
    everything = (
        await client.get(f"{API}/teams?include_archived=true", headers=org.headers)
    ).json()
    assert everything["total"] == 2
    # Nothing new may be hung under an archived team.
    r = await client.post(
        f"{API}/teams", json={"name": "New", "parent_id": str(t["Platform"])}, headers=org.headers
    )
    assert r.status_code == 400 and "archived" in r.json()["detail"]


async def test_bad_team_bodies_are_4xx_and_store_nothing(client: Any, org: Org, pool: Any) -> None:
    bad: list[Any] = [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 201},
        {"name": "x", "parent_id": "not-a-uuid"},
        {"name": "x", "parent_id": str(uuid4())},
        {"name": "x", "colour": "red"},
        [],
    ]
    for body in bad:
        r = await client.post(f"{API}/teams", json=body, headers=org.headers)
        assert 400 <= r.status_code < 500, body
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.post(
        f"{API}/teams", content=b"name=x", headers={**org.headers, "content-type": "text/plain"}
    )
    assert 400 <= r.status_code < 500
    assert await _team_count(pool) == 0


async def test_people_are_created_updated_and_deactivated(client: Any, org: Org, pool: Any) -> None:
    t = await make_team_tree(pool, org.id, ["Eng", "Ops"])
    body = PersonIn("ann@example.com", "Ann", "nl", t["Eng"])
    r = await client.post(
        f"{API}/people",
        content=msgspec.json.encode(body),
        headers={**org.headers, "content-type": "application/json"},
    )
    assert r.status_code == 201, r.text
    ann = msgspec.json.decode(r.content, type=PersonOut)
    assert (ann.locale, ann.team_id, ann.active) == ("nl", t["Eng"], True)

    r = await client.patch(
        f"{API}/people/{ann.id}",
        json={"team_id": str(t["Ops"]), "locale": "en"},
        headers=org.headers,
    )
    assert r.status_code == 200
    assert (r.json()["team_id"], r.json()["locale"], r.json()["display_name"]) == (
        str(t["Ops"]),
        "en",
        "Ann",
    )
    r = await client.patch(f"{API}/people/{ann.id}", json={"team_id": None}, headers=org.headers)
    assert r.json()["team_id"] is None

    r = await client.post(f"{API}/people/{ann.id}/deactivate", headers=org.headers)
    assert r.status_code == 200 and r.json()["active"] is False
    assert await pool.fetchval("SELECT active FROM people WHERE id = $1", ann.id) is False


async def test_email_is_unique_per_org_ignoring_case(
    client: Any, org: Org, other_org: Org, pool: Any
) -> None:
    r = await client.post(
        f"{API}/people",
        json={"email": "Ann@Example.com", "display_name": "Ann"},
        headers=org.headers,
    )
    assert r.status_code == 201
    r = await client.post(
        f"{API}/people",
        json={"email": "ann@example.COM", "display_name": "Ann 2"},
        headers=org.headers,
    )
    assert r.status_code == 409
    # Another org may have the same person.
    r = await client.post(
        f"{API}/people",
        json={"email": "ann@example.com", "display_name": "Ann"},
        headers=other_org.headers,
    )
    assert r.status_code == 201


async def test_people_list_is_paginated_and_filtered(client: Any, org: Org, pool: Any) -> None:
    t = await make_team_tree(pool, org.id, ["Eng", "Ops"])
    await make_people(pool, org.id, t["Eng"], 5)
    await make_people(pool, org.id, t["Ops"], 3, active=False)
    page = (await client.get(f"{API}/people?limit=2", headers=org.headers)).json()
    assert page["total"] == 8 and len(page["items"]) == 2
    eng = (await client.get(f"{API}/people?team_id={t['Eng']}", headers=org.headers)).json()
    assert eng["total"] == 5
    inactive = (await client.get(f"{API}/people?active=false", headers=org.headers)).json()
    assert inactive["total"] == 3


async def test_bad_person_bodies_are_4xx_and_store_nothing(
    client: Any, org: Org, pool: Any
) -> None:
    bad: list[Any] = [
        {"email": "not-an-email", "display_name": "X"},
        {"email": "a@b", "display_name": "X"},
        {"email": "a b@example.com", "display_name": "X"},
        {"email": "a@example.com", "display_name": ""},
        {"email": "a@example.com", "display_name": "X", "locale": "de"},
        {"email": "a@example.com", "display_name": "X", "team_id": str(uuid4())},
        {"email": "a@example.com", "display_name": "X", "active": "maybe"},
        {"email": "a@example.com", "display_name": "X", "salary": 1},
        {"display_name": "X"},
    ]
    for body in bad:
        r = await client.post(f"{API}/people", json=body, headers=org.headers)
        assert 400 <= r.status_code < 500, body
    assert await pool.fetchval("SELECT count(*) FROM people") == 0


async def test_a_key_of_another_org_gets_404_for_everything(
    client: Any, org: Org, other_org: Org, pool: Any
) -> None:
    t = await make_team_tree(pool, org.id, {"Eng": {"Platform": {}}})
    [person] = await make_people(pool, org.id, t["Eng"], 1)
    theirs = other_org.headers
    for method, path, body in (
        ("get", f"/teams/{t['Eng']}", None),
        ("patch", f"/teams/{t['Eng']}", {"name": "Mine"}),
        ("post", f"/teams/{t['Platform']}/move", {"parent_id": None}),
        ("post", f"/teams/{t['Platform']}/archive", None),
        ("get", f"/people/{person}", None),
        ("patch", f"/people/{person}", {"display_name": "Mine"}),
        ("post", f"/people/{person}/deactivate", None),
        ("get", f"/people?team_id={t['Eng']}", None),
    ):
        kwargs: dict[str, Any] = {"headers": theirs}
        if body is not None:
            kwargs["json"] = body
        r = await getattr(client, method)(API + path, **kwargs)
        assert r.status_code == 404, (method, path)
    # Their own key cannot hang a team under ours either.
    r = await client.post(
        f"{API}/teams", json={"name": "Sneaky", "parent_id": str(t["Eng"])}, headers=theirs
    )
    assert r.status_code == 400
    assert (await client.get(f"{API}/teams", headers=theirs)).json()["total"] == 0
    assert (await client.get(f"{API}/people", headers=theirs)).json()["total"] == 0
    assert await pool.fetchval("SELECT name FROM teams WHERE id = $1", t["Eng"]) == "Eng"
    assert await pool.fetchval("SELECT active FROM people WHERE id = $1", person) is True


async def test_leader_reads_only_their_subtree_and_writes_nothing(
    client: Any, org: Org, pool: Any
) -> None:
    t = await make_team_tree(pool, org.id, {"Eng": {"Platform": {}, "Apps": {}}, "Sales": {}})
    [mine] = await make_people(pool, org.id, t["Platform"], 1)
    [other] = await make_people(pool, org.id, t["Sales"], 1)
    leader = await make_leader_headers(pool, org.id, [t["Eng"]])

    names = {x["name"] for x in (await client.get(f"{API}/teams", headers=leader)).json()["items"]}
    assert names == {"Eng", "Platform", "Apps"}
    tree = (await client.get(f"{API}/teams/tree", headers=leader)).json()
    assert [n["name"] for n in tree] == ["Eng"]
    assert (await client.get(f"{API}/teams/{t['Sales']}", headers=leader)).status_code == 404
    # A leader never sees a person, not even one of their own teams.
    assert (await client.get(f"{API}/people/{mine}", headers=leader)).status_code == 404
    assert (await client.get(f"{API}/people/{other}", headers=leader)).status_code == 404
    assert (await client.get(f"{API}/people", headers=leader)).status_code == 404

    for method, path, body in (
        ("post", "/teams", {"name": "Mine"}),
        ("patch", f"/teams/{t['Platform']}", {"name": "Renamed"}),
        ("post", f"/teams/{t['Apps']}/move", {"parent_id": None}),
        ("post", f"/teams/{t['Apps']}/archive", None),
        ("post", "/people", {"email": "x@example.com", "display_name": "X"}),
        ("patch", f"/people/{mine}", {"display_name": "Y"}),
        ("post", f"/people/{mine}/deactivate", None),
    ):
        kwargs: dict[str, Any] = {"headers": leader}
        if body is not None:
            kwargs["json"] = body
        r = await getattr(client, method)(API + path, **kwargs)
        assert r.status_code == 404, (method, path)
    assert await pool.fetchval("SELECT count(*) FROM teams") == 4
    assert await pool.fetchval("SELECT count(*) FROM people WHERE active") == 2


async def test_invalid_utf8_inside_a_json_string_is_400(client: Any, org: Org, pool: Any) -> None:
    r = await client.post(
        f"{API}/teams",
        content=b'{"name": "\xff"}',
        headers={**org.headers, "content-type": "application/json"},
    )
    assert r.status_code == 400
    assert await _team_count(pool) == 0
