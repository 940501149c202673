"""A pulse never mails people already in another active pulse without the admin saying so, and
an unsaved pulse body can be previewed: who it invites, what it reports, who overlaps, when."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from tests.factories import Org, make_people, make_team_tree

API = "/api/v1/pulses"
TREE = {"Product": {"Platform": {}, "Data": {}, "Design": {}}, "Sales": {}}
SIZES = {"Platform": 11, "Data": 7, "Design": 3, "Sales": 6}


async def _world(pool: asyncpg.Pool, org: Org) -> dict[str, UUID]:
    teams = await make_team_tree(pool, org.id, TREE)
    for name, n in SIZES.items():
        await make_people(pool, org.id, teams[name], n)
    return teams


def _body(*team_ids: UUID, **more: Any) -> dict[str, Any]:
    return {"name": "Pulse", "team_ids": [str(t) for t in team_ids], **more}


async def _table(pool: asyncpg.Pool) -> list[Any]:
    rows = await pool.fetch("SELECT * FROM pulses ORDER BY created_at, id")
    audit = await pool.fetchval("SELECT count(*) FROM audit_log")
    return [[dict(r) for r in rows], audit]


async def test_a_pulse_over_people_in_another_active_pulse_is_refused_unless_confirmed(
    client: Any, org: Org, pool: asyncpg.Pool
) -> None:
    teams = await _world(pool, org)
    first = await client.post(API, json=_body(teams["Product"]), headers=org.headers)
    assert first.status_code == 201, first.text
    before = await _table(pool)
    r = await client.post(API, json=_body(teams["Data"], name="Data pulse"), headers=org.headers)
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem")
    problem = r.json()
    assert "7 people" in problem["detail"] and "“Pulse”" in problem["detail"]
    assert "allow_overlap" in problem["detail"]
    assert problem["errors"] == [{"pulse_id": first.json()["id"], "pulse": "Pulse", "people": 7}]
    assert await _table(pool) == before
    # Sales is in no active pulse: no question asked.
    sales = await client.post(API, json=_body(teams["Sales"], name="S"), headers=org.headers)
    assert sales.status_code == 201, sales.text
    ok = await client.post(
        API, json=_body(teams["Data"], name="Data pulse", allow_overlap=True), headers=org.headers
    )
    assert ok.status_code == 201, ok.text


async def test_resuming_or_widening_a_pulse_into_another_ones_people_needs_the_same_yes(
    client: Any, org: Org, pool: asyncpg.Pool
) -> None:
    teams = await _world(pool, org)
    data = (await client.post(API, json=_body(teams["Data"]), headers=org.headers)).json()
    sales = (await client.post(API, json=_body(teams["Sales"]), headers=org.headers)).json()
    # Widening the active Sales pulse to Product reaches the Data pulse's 7 people.
    wider = {"team_ids": [str(teams["Sales"]), str(teams["Product"])]}
    r = await client.patch(f"{API}/{sales['id']}", json=wider, headers=org.headers)
    assert r.status_code == 409 and r.json()["errors"][0]["people"] == 7
    # A paused pulse may change teams freely; resuming it is where the question comes.
    paused = await client.post(f"{API}/{sales['id']}/deactivate", headers=org.headers)
    assert paused.status_code == 200
    r = await client.patch(f"{API}/{sales['id']}", json=wider, headers=org.headers)
    assert r.status_code == 200, r.text
    before = await _table(pool)
    r = await client.post(f"{API}/{sales['id']}/activate", headers=org.headers)
    assert r.status_code == 409 and str(data["id"]) in r.json()["detail"]
    assert await _table(pool) == before
    r = await client.post(f"{API}/{sales['id']}/activate", json={}, headers=org.headers)
    assert r.status_code == 409
    r = await client.post(
        f"{API}/{sales['id']}/activate", json={"allow_overlap": True}, headers=org.headers
    )
    assert r.status_code == 200 and r.json()["active"] is True
    # Renaming an active pulse that already overlaps asks nothing.
    r = await client.patch(f"{API}/{sales['id']}", json={"name": "All"}, headers=org.headers)
    assert r.status_code == 200, r.text
    r = await client.post(
        f"{API}/{sales['id']}/activate", json={"allow_overlap": "yes"}, headers=org.headers
    )
    assert r.status_code == 400


async def test_the_preview_of_an_unsaved_pulse_says_what_saving_it_would_do(
    client: Any, org: Org, pool: asyncpg.Pool
) -> None:
    teams = await _world(pool, org)
    data = (await client.post(API, json=_body(teams["Data"]), headers=org.headers)).json()
    before = await _table(pool)
    body = _body(teams["Product"], teams["Sales"], starts_at="2031-03-03T09:00:00+01:00")
    r = await client.post(f"{API}/preview", json=body, headers=org.headers)
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["k"], got["comment_k"], got["invited"]) == (5, 10, 27)
    assert [(t["name"], t["invited"]) for t in got["teams"]] == [
        ("Product", 0), ("Data", 7), ("Design", 3), ("Platform", 11), ("Sales", 6),
    ]  # fmt: skip
    assert [(g["name"], g["status"]) for g in got["groups"]] == [
        ("Data & Design", "pooled"),
        ("Platform", "own"),
        ("Sales", "own"),
    ]
    assert got["never"] == [] and got["warnings"] == []
    assert got["overlap"] == [{"pulse_id": data["id"], "name": "Pulse", "people": 7}]
    assert datetime.fromisoformat(got["first_wave_at"]) == datetime(2031, 3, 3, 8, tzinfo=UTC)
    assert await _table(pool) == before  # nothing saved, nothing logged

    small = await client.post(f"{API}/preview", json=_body(teams["Design"]), headers=org.headers)
    assert small.status_code == 200
    assert small.json()["never"] == ["Design"] and len(small.json()["warnings"]) == 1
    assert small.json()["overlap"] == []


async def test_the_preview_refuses_bad_bodies_as_saving_would(
    client: Any, org: Org, other_org: Org, pool: asyncpg.Pool
) -> None:
    teams = await _world(pool, org)
    before = await _table(pool)
    bad = [
        ({"name": "x"}, 400),
        (_body(teams["Data"], surprise=1), 400),
        (_body(teams["Data"], k="five"), 400),
        (_body(teams["Data"], teams["Product"]), 400),  # nested roots
        (_body(UUID(int=7)), 400),  # not a team of the org
        (_body(teams["Data"], k=2), 400),  # below the design's floor of 3
        (_body(teams["Data"], k=7, comment_k=6), 400),
        (_body(teams["Data"], core_items=["nope.never"]), 400),
    ]
    for body, status in bad:
        r = await client.post(f"{API}/preview", json=body, headers=org.headers)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem")
    r = await client.post(
        f"{API}/preview",
        content=b"{not json",
        headers={**org.headers, "content-type": "application/json"},
    )
    assert r.status_code == 400
    # Another org's admin names this org's team: as unknown as any other id.
    r = await client.post(f"{API}/preview", json=_body(teams["Data"]), headers=other_org.headers)
    assert r.status_code == 400 and "Data" not in r.text
    r = await client.post(f"{API}/preview", json=_body(teams["Data"]))
    assert r.status_code == 401
    assert await _table(pool) == before
