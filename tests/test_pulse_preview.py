"""Before a wave opens, an admin sees which groups it will report and why; a pulse that reaches
a group that can never report is saved with a warning."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from service.guard.plan import PlanTeam
from service.guard.preview import preview_plan
from service.settings import Settings
from service.surveys.waves import open_wave
from tests.factories import TEST_SECRET, Org, make_leader_headers, make_people, make_team_tree

API = "/api/v1/pulses"
PRODUCT = {"Product": {"Platform": {}, "Data": {}, "Design": {}}}
SIZES = {"Platform": 11, "Data": 7, "Design": 3}


def _ids(*names: str) -> dict[str, UUID]:
    return {name: UUID(int=i + 1) for i, name in enumerate(names)}


def test_the_preview_says_in_words_what_each_group_does() -> None:
    ids = _ids("Product", "Platform", "Data", "Design")
    teams = [
        PlanTeam(ids["Product"], None, "Product", 0),
        PlanTeam(ids["Platform"], ids["Product"], "Platform", 11),
        PlanTeam(ids["Data"], ids["Product"], "Data", 7),
        PlanTeam(ids["Design"], ids["Product"], "Design", 3),
    ]
    preview = preview_plan(teams, 5)
    assert preview.invited == 21 and preview.warnings == []
    assert [(g.name, g.status, g.reason) for g in preview.groups] == [
        (
            "Data & Design",
            "pooled",
            "Design has 3 people (fewer than 5): reported together with Data as "
            "“Data & Design” (10 people)",
        ),
        ("Platform", "own", "Reported on its own: 11 people"),
    ]
    assert [(p.name, p.invited) for p in preview.groups[0].parts] == [("Data", 7), ("Design", 3)]


def test_the_preview_names_an_admins_choice_and_a_parents_own_members() -> None:
    ids = _ids("Eng", "Platform", "Apps")
    teams = [
        PlanTeam(ids["Eng"], None, "Eng", 2),
        PlanTeam(ids["Platform"], ids["Eng"], "Platform", 3, report_with=ids["Eng"]),
        PlanTeam(ids["Apps"], ids["Eng"], "Apps", 9),
    ]
    (pooled,) = [g for g in preview_plan(teams, 5).groups if g.status == "pooled"]
    assert pooled.reason == (
        "Eng (direct members) has 2 people and Platform has 3 people (each fewer than 5): "
        "reported together as “Eng (direct members) & Platform” (5 people), as chosen for "
        "Platform"
    )


def test_a_group_that_can_never_report_is_a_warning() -> None:
    (design,) = _ids("Design").values()
    preview = preview_plan([PlanTeam(design, None, "Design", 3)], 5)
    assert [(g.status, g.reason) for g in preview.groups] == [
        ("never", "Can never report: the pulse reaches only 3 people (fewer than 5)")
    ]
    assert preview.warnings == [
        "Design and its 3 people can never be reported: the pulse reaches only 3 people "
        "(fewer than 5)."
    ]
    ids = _ids("Eng", "Platform", "A", "B")
    below = [  # Platform's subtree reports on its own; Eng's 2 own people have nobody left
        PlanTeam(ids["Eng"], None, "Eng", 2),
        PlanTeam(ids["Platform"], ids["Eng"], "Platform", 0),
        PlanTeam(ids["A"], ids["Platform"], "A", 6),
        PlanTeam(ids["B"], ids["Platform"], "B", 7),
    ]
    (never,) = [g for g in preview_plan(below, 5).groups if g.status == "never"]
    assert never.reason == (
        "Can never report: Eng (direct members) has 2 people (fewer than 5), and every other "
        "group under Eng reports on its own, so none is left to report them with"
    )


async def _world(pool: asyncpg.Pool, org: Org) -> dict[str, UUID]:
    teams = await make_team_tree(pool, org.id, PRODUCT)
    for name, n in SIZES.items():
        await make_people(pool, org.id, teams[name], n)
    return teams


async def _create(client: Any, org: Org, team_ids: list[UUID], **more: Any) -> Any:
    body = {"name": "Pulse", "team_ids": [str(t) for t in team_ids], **more}
    return await client.post(API, json=body, headers=org.headers)


async def test_the_preview_route_counts_todays_people_and_follows_choices(
    client: Any, org: Org, pool: asyncpg.Pool
) -> None:
    teams = await _world(pool, org)
    # Neither an inactive nor an opted-out person would be invited.
    await make_people(pool, org.id, teams["Design"], 1, active=False)
    opted = await make_people(pool, org.id, teams["Design"], 1)
    await pool.execute("UPDATE people SET opted_out = true WHERE id = $1", opted[0])
    created = await _create(client, org, [teams["Product"]])
    assert created.status_code == 201 and created.json()["warnings"] == []
    pulse = created.json()["id"]

    r = await client.get(f"{API}/{pulse}/preview", headers=org.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["pulse_id"], body["k"], body["invited"]) == (pulse, 5, 21)
    assert [(g["name"], g["status"], g["invited"]) for g in body["groups"]] == [
        ("Data & Design", "pooled", 10),
        ("Platform", "own", 11),
    ]

    chose = await client.put(
        f"/api/v1/teams/{teams['Design']}/report-with",
        json={"report_with": str(teams["Platform"])},
        headers=org.headers,
    )
    assert chose.status_code == 200
    body = (await client.get(f"{API}/{pulse}/preview", headers=org.headers)).json()
    assert [(g["name"], g["status"]) for g in body["groups"]] == [
        ("Design & Platform", "pooled"),
        ("Data", "own"),
    ]
    assert body["groups"][0]["reason"].endswith("as chosen for Design")


async def test_a_pulse_aimed_only_at_a_small_team_is_saved_with_a_warning(
    client: Any, org: Org, pool: asyncpg.Pool
) -> None:
    teams = await _world(pool, org)
    created = await _create(client, org, [teams["Design"]])
    assert created.status_code == 201, created.text
    assert created.json()["warnings"] == [
        "Design and its 3 people can never be reported: the pulse reaches only 3 people "
        "(fewer than 5)."
    ]
    pulse = created.json()["id"]
    assert await pool.fetchval("SELECT count(*) FROM pulses WHERE id = $1", UUID(pulse)) == 1
    # Lowering k to the team's size, or widening the pulse, clears the warning.
    lowered = await client.patch(
        f"{API}/{pulse}", json={"k": 3, "comment_k": 3}, headers=org.headers
    )
    assert lowered.status_code == 200 and lowered.json()["warnings"] == []
    assert lowered.json()["k"] == 3
    raised = await client.patch(
        f"{API}/{pulse}", json={"k": 5, "comment_k": 10}, headers=org.headers
    )
    assert raised.status_code == 200 and len(raised.json()["warnings"]) == 1
    wider = await client.patch(
        f"{API}/{pulse}", json={"team_ids": [str(teams["Product"])]}, headers=org.headers
    )
    assert wider.status_code == 200 and wider.json()["warnings"] == []
    got = await client.get(f"{API}/{pulse}", headers=org.headers)
    assert "warnings" not in got.json()


async def test_the_preview_is_for_admins_of_the_org_only(
    client: Any, org: Org, other_org: Org, pool: asyncpg.Pool
) -> None:
    teams = await _world(pool, org)
    pulse = (await _create(client, org, [teams["Product"]])).json()["id"]
    leader = await make_leader_headers(pool, org.id, [teams["Product"]])
    for headers in (leader, other_org.headers):
        r = await client.get(f"{API}/{pulse}/preview", headers=headers)
        assert r.status_code == 404 and "Design" not in r.text


def _groups_of_preview(body: dict[str, Any]) -> dict[frozenset[str], tuple[str, int]]:
    return {
        frozenset(p["team_id"] for p in g["parts"]): (g["name"], g["invited"])
        for g in body["groups"]
    }


async def _frozen_groups(
    pool: asyncpg.Pool, wave_id: UUID
) -> dict[frozenset[str], tuple[str, int]]:
    rows = await pool.fetch(
        "SELECT atoms, name, invited FROM wave_plan"
        " WHERE wave_id = $1 AND scope = 'team' AND invited > 0",
        wave_id,
    )
    return {frozenset(str(a) for a in r["atoms"]): (r["name"], r["invited"]) for r in rows}


async def test_the_preview_of_the_demo_org_is_what_its_waves_freeze(
    client: Any, pool: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    from service.demo import seed_demo

    async with pool.acquire() as conn:
        demo = await seed_demo(conn, tmp_path, settings)
    org_id = UUID(demo["org_id"])
    headers = {"Authorization": f"Bearer {demo['admin_key']}"}
    pulse_id = await pool.fetchval("SELECT id FROM pulses WHERE org_id = $1", org_id)
    r = await client.get(f"{API}/{pulse_id}/preview", headers=headers)
    assert r.status_code == 200, r.text
    preview = r.json()
    groups = _groups_of_preview(preview)
    assert ("Data & Design", 10) in groups.values()
    assert preview["warnings"] == []
    first = await pool.fetchval("SELECT id FROM waves WHERE org_id = $1 AND seq = 1", org_id)
    assert await _frozen_groups(pool, first) == groups
    await pool.execute("UPDATE waves SET state = 'closed' WHERE org_id = $1", org_id)
    async with pool.acquire() as conn:
        opened = await open_wave(conn, org_id, pulse_id, secret=TEST_SECRET)
    assert await _frozen_groups(pool, opened) == groups
    assert preview["invited"] == await pool.fetchval(
        "SELECT count(*) FROM invitations WHERE wave_id = $1", opened
    )


def test_with_several_roots_a_never_group_says_under_which_team() -> None:
    ids = _ids("Design", "Sales", "Field", "Inside")
    teams = [
        PlanTeam(ids["Design"], None, "Design", 3),
        PlanTeam(ids["Sales"], None, "Sales", 0),
        PlanTeam(ids["Field"], ids["Sales"], "Field", 9),
        PlanTeam(ids["Inside"], ids["Sales"], "Inside", 7),
    ]
    preview = preview_plan(teams, 5)
    assert preview.warnings == [
        "Design and its 3 people can never be reported: the pulse reaches only 3 people under "
        "Design (fewer than 5)."
    ]
    assert [g.status for g in preview.groups] == ["never", "own", "own"]


def test_a_choice_the_tree_no_longer_allows_is_a_warning() -> None:
    ids = _ids("Product", "Data", "Design", "Sales", "Field")
    teams = [
        PlanTeam(ids["Product"], None, "Product", 0),
        PlanTeam(ids["Data"], ids["Product"], "Data", 7),
        PlanTeam(ids["Design"], ids["Product"], "Design", 3, report_with=ids["Field"]),
        PlanTeam(ids["Sales"], None, "Sales", 0),
        PlanTeam(ids["Field"], ids["Sales"], "Field", 9),
    ]
    preview = preview_plan(teams, 5)
    assert preview.warnings == [
        "Design's choice to be reported together with Field is ignored: it is not a sibling or "
        "the parent of Design among the pulse's teams."
    ]
    assert ("Data & Design", "pooled") in [(g.name, g.status) for g in preview.groups]
    outside = preview_plan(teams[:3], 5)  # a pulse over Product only: Field is not in it
    assert outside.warnings == [
        "Design's choice to be reported together with a team outside this pulse is ignored: it "
        "is not a sibling or the parent of Design among the pulse's teams."
    ]
