"""The audit log: every change by an admin, a leader, the operator or the scheduler lands in it,
in the same transaction, and nothing (no code path, no plain SQL) changes or removes an entry.

The issue's attack is the first test: an admin builds a team of one named person and two
mailboxes they read, and asks for k=3 to subtract. The floor refuses it; at k=5 every step of
the sequence is in the log under the admin's key.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args
from uuid import UUID

import asyncpg
import pytest

from service.analytics.rollup import rollup_wave
from service.audit import ACTIONS, Action, Actor, ObjectKind, record
from service.orgs import DEFAULT_FLOORS, set_floors
from service.settings import Settings
from service.surveys.respond import token_for
from service.surveys.waves import close_due_waves
from tests.factories import (
    ROOT,
    TEST_SECRET,
    Org,
    make_leader_headers,
    make_org,
    make_team_tree,
    signed_in,
)

AUDIT = "/api/v1/audit"


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "CANDOR_ENV": "test",
        "SECRET_KEY": settings.secret_key,
    }
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _key(body: dict[str, Any]) -> tuple[str, dict[str, str]]:
    return body["id"], {"Authorization": f"Bearer {body['key']}"}


async def _post(client: Any, path: str, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    r = await client.post(path, json=body, headers=headers)
    assert r.status_code in (200, 201), (path, r.text)
    out: dict[str, Any] = r.json()
    return out


async def _dump(pool: asyncpg.Pool) -> str:
    rows = await pool.fetch("SELECT t::text FROM audit_log t ORDER BY seq")
    return "\n".join(r[0] for r in rows)


# --- the attack --------------------------------------------------------------------------


async def test_the_admin_attack_is_refused_at_k3_and_at_k5_every_step_is_logged(
    client: Any, pool: asyncpg.Pool
) -> None:
    org = await make_org(pool, "Attacked", floors=DEFAULT_FLOORS)
    insider_id, insider = _key(
        await _post(client, "/api/v1/keys", org.headers, name="insider", role="admin")
    )
    team = (await _post(client, "/api/v1/teams", insider, name="Tiger team"))["id"]
    anna = (
        await _post(client, "/api/v1/people", insider, email="anna@a.test", display_name="Anna")
    )["id"]
    r = await client.patch(f"/api/v1/people/{anna}", json={"team_id": team}, headers=insider)
    assert r.status_code == 200
    mailboxes = [
        (
            await _post(
                client,
                "/api/v1/people",
                insider,
                email=f"box{i}@a.test",
                display_name=f"Box {i}",
                team_id=team,
            )
        )["id"]
        for i in (1, 2)
    ]
    refused = await client.post(
        "/api/v1/pulses",
        json={"name": "Spot check", "team_ids": [team], "k": 3, "comment_k": 3},
        headers=insider,
    )
    assert refused.status_code == 422
    assert refused.json()["detail"] == (
        "k must be at least 5 and comment_k must be at least 10, this organisation's floors; "
        "the operator can change floors with `candor org floors`."
    )
    pulse = (await _post(client, "/api/v1/pulses", insider, name="Spot check", team_ids=[team]))[
        "id"
    ]
    wave = (await _post(client, f"/api/v1/pulses/{pulse}/waves", insider))["id"]
    # The admin answers as the two mailboxes; nothing of that reaches the log.
    invitations = await pool.fetch(
        "SELECT id FROM invitations WHERE wave_id = $1 AND person_id = ANY($2::uuid[])",
        UUID(wave),
        [UUID(m) for m in mailboxes],
    )
    tokens = [token_for(TEST_SECRET, r["id"]) for r in invitations]
    keys = await pool.fetchval("SELECT item_keys FROM waves WHERE id = $1", UUID(wave))
    for token in tokens:
        r = await client.post(
            f"/api/v1/respond/{token}",
            json={"answers": dict.fromkeys(keys, 6), "comment": "mailbox comment"},
        )
        assert r.status_code in (200, 201), r.text
    await _post(client, f"/api/v1/waves/{wave}/close", insider)

    r = await client.get(AUDIT, params={"actor_id": insider_id}, headers=org.headers)
    assert r.status_code == 200
    page = r.json()
    steps = [(e["action"], e["object_id"]) for e in reversed(page["items"])]
    assert steps == [
        ("team.create", team),
        ("person.create", anna),
        ("person.update", anna),
        ("person.create", mailboxes[0]),
        ("person.create", mailboxes[1]),
        ("pulse.create", pulse),
        ("wave.open", wave),
        ("wave.close", wave),
    ]
    assert page["total"] == len(steps)
    assert {(e["actor_kind"], e["actor_id"]) for e in page["items"]} == {("api_key", insider_id)}
    by_action = {e["action"]: e for e in page["items"]}
    assert by_action["team.create"]["details"] == {"name": "Tiger team", "parent_id": None}
    assert by_action["person.update"]["details"] == {"fields": ["team_id"], "team_id": team}
    assert by_action["pulse.create"]["details"]["k"] == 5
    assert by_action["pulse.create"]["details"]["comment_k"] == 10
    assert by_action["pulse.create"]["details"]["team_ids"] == [team]
    assert by_action["wave.open"]["details"] == {
        "pulse_id": pulse,
        "seq": 1,
        "k": 5,
        "comment_k": 10,
    }
    # The insider's key itself was made by the first admin key, and the log says so.
    made = await client.get(
        AUDIT, params={"action": "key.create", "object_id": insider_id}, headers=org.headers
    )
    (entry,) = made.json()["items"]
    assert entry["actor_kind"] == "api_key" and entry["actor_id"] != insider_id

    r = await client.get(f"{AUDIT}.csv", params={"actor_id": insider_id}, headers=org.headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(row["action"], row["object_id"]) for row in reversed(rows)] == steps
    assert {row["actor_id"] for row in rows} == {insider_id}
    # No name or address of a person, no token, no comment, no answer.
    text = await _dump(pool)
    for secret in [*tokens, "mailbox comment", "anna@a.test", "Anna", "box1@a.test"]:
        assert secret not in text, secret


# --- the database keeps it append-only -----------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET action = 'org.create'",
        "UPDATE audit_log SET details = '{}' WHERE org_id = $1",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE org_id = $1",
        "TRUNCATE audit_log",
    ],
)
async def test_the_database_refuses_to_change_or_remove_an_entry(
    pool: asyncpg.Pool, org: Org, statement: str
) -> None:
    before = await _dump(pool)
    assert before
    args = [org.id] if "$1" in statement else []
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await pool.execute(statement, *args)
    assert await _dump(pool) == before


async def test_deleting_a_whole_org_takes_its_log_and_only_its_log(
    pool: asyncpg.Pool, org: Org, other_org: Org
) -> None:
    other = await pool.fetch("SELECT * FROM audit_log WHERE org_id = $1", other_org.id)
    assert other
    await pool.execute("DELETE FROM orgs WHERE id = $1", org.id)
    assert await pool.fetchval("SELECT count(*) FROM audit_log WHERE org_id = $1", org.id) == 0
    assert await pool.fetch("SELECT * FROM audit_log WHERE org_id = $1", other_org.id) == other


def test_no_statement_of_the_service_updates_or_deletes_the_log() -> None:
    found = [
        str(p.relative_to(ROOT))
        for p in Path(ROOT, "service").rglob("*.py")
        if re.search(
            r"(update\s+audit_log|delete\s+from\s+audit_log|truncate[\s\w,]*audit_log)",
            p.read_text(encoding="utf-8"),
            re.I,
        )
    ]
    assert found == []


def test_the_admin_guide_lists_every_action() -> None:
    guide = (ROOT / "docs" / "admin-api.md").read_text(encoding="utf-8")
    assert [a for a in ACTIONS if f"`{a}`" not in guide] == []


# --- every change, in its own transaction ------------------------------------------------------


async def test_every_kind_of_change_is_logged_with_who_made_it(
    client: Any, pool: asyncpg.Pool, org: Org, settings: Settings
) -> None:
    admin = org.headers
    key_id, _ = _key(await _post(client, "/api/v1/keys", admin, name="k", role="admin"))
    for _ in range(2):  # revoking twice changes the key once
        assert (await client.delete(f"/api/v1/keys/{key_id}", headers=admin)).status_code == 204
    eng = (await _post(client, "/api/v1/teams", admin, name="Eng"))["id"]
    ops = (await _post(client, "/api/v1/teams", admin, name="Ops", parent_id=eng))["id"]
    sre = (await _post(client, "/api/v1/teams", admin, name="SRE", parent_id=eng))["id"]
    r = await client.put(
        f"/api/v1/teams/{sre}/report-with", json={"report_with": eng}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert (
        await client.patch(f"/api/v1/teams/{ops}", json={"name": "Ops2"}, headers=admin)
    ).is_success
    await _post(client, f"/api/v1/teams/{ops}/move", admin, parent_id=None)
    await _post(client, f"/api/v1/teams/{ops}/archive", admin)
    lead = (
        await _post(
            client, "/api/v1/people", admin, email="lead@x.test", display_name="Lea", team_id=eng
        )
    )["id"]
    r = await client.patch(
        f"/api/v1/people/{lead}", json={"display_name": "Lea D", "locale": "nl"}, headers=admin
    )
    assert r.status_code == 200
    csv_body = "email,display_name,team\n" + "".join(f"p{i}@x.test,P {i},Eng\n" for i in range(4))
    for query in ("?dry_run=true", ""):
        r = await client.post(
            f"/api/v1/people/import{query}",
            content=csv_body.encode(),
            headers={**admin, "Content-Type": "text/csv"},
        )
        assert r.status_code == 200, r.text
    r = await client.put(f"/api/v1/teams/{eng}/leaders", json={"person_ids": [lead]}, headers=admin)
    assert r.status_code == 200
    assert (
        await client.put(f"/api/v1/people/{lead}/admin", json={"admin": False}, headers=admin)
    ).is_success
    item = {"key": "own.item", "dimension": "trust", "texts": {"en": "An item", "nl": "Een item"}}
    await _post(client, "/api/v1/items", admin, **item)
    await _post(
        client,
        "/api/v1/instruments",
        admin,
        name="Scale",
        items=[{**item, "key": f"sc.item{i}"} for i in range(2)],
    )
    await _post(client, "/api/v1/items/own.item/retire", admin)
    pulse = (await _post(client, "/api/v1/pulses", admin, name="P", team_ids=[eng]))["id"]
    r = await client.patch(f"/api/v1/pulses/{pulse}", json={"k": 6, "name": "Q"}, headers=admin)
    assert r.status_code == 200
    await _post(client, f"/api/v1/pulses/{pulse}/deactivate", admin)
    await _post(client, f"/api/v1/pulses/{pulse}/activate", admin)
    wave = (await _post(client, f"/api/v1/pulses/{pulse}/waves", admin))["id"]
    await _post(client, f"/api/v1/waves/{wave}/close", admin)
    token = (await _post(client, "/api/v1/widget-tokens", admin, label="wiki", team_id=eng))["id"]
    assert (await client.delete(f"/api/v1/widget-tokens/{token}", headers=admin)).is_success
    await _post(client, f"/api/v1/people/{lead}/deactivate", admin)
    # The lead, in the console: a focus for the team, their settings, their language.
    await pool.execute("UPDATE people SET active = true WHERE id = $1", UUID(lead))
    s = await signed_in(pool, org.id, UUID(lead))
    forms = [
        (
            f"/console/teams/{eng}/focus",
            {"dimension": "trust", "try_text": "Ask first", "agreed_on": "2026-01-05"},
        ),
        ("/console/settings", {"lang": "nl"}),
        ("/console/language", {"lang": "en"}),
    ]
    for path, data in forms:
        r = await client.post(
            path, data={"csrf": s.csrf, **data}, headers=s.headers, follow_redirects=False
        )
        assert r.status_code == 303, (path, r.text[:300])
    async with pool.acquire() as conn:
        await set_floors(conn, org.id, 4, 8, Actor.cli(org.id))

    rows = await pool.fetch("SELECT * FROM audit_log WHERE org_id = $1 ORDER BY seq", org.id)
    logged = [(r["action"], r["actor_kind"]) for r in rows]
    assert {a for a, _ in logged} == set(ACTIONS) == set(get_args(Action))
    assert set(ACTIONS.values()) == set(get_args(ObjectKind))
    counts = {a: sum(1 for x, _ in logged if x == a) for a in ACTIONS}
    assert counts["key.revoke"] == 1
    assert counts["people.import"] == 1  # the dry run wrote nothing, so logged nothing
    assert counts["item.add"] == 2
    by = {a: k for a, k in logged}
    assert by["org.create"] == by["org.floors"] == "cli"
    assert by["team.focus"] == by["person.settings"] == "person"
    api_actions = set(ACTIONS) - {"org.create", "org.floors", "team.focus", "person.settings"}
    assert {by[a] for a in api_actions} == {"api_key"}
    details = {r["action"]: r["details"] for r in rows}
    assert details["person.update"] == {"fields": ["display_name", "locale"]}
    assert details["person.deactivate"] == {"fields": ["active"], "active": False}
    assert details["team.rename"] == {"name": "Ops2"}
    assert details["team.move"] == {"parent_id": None}
    assert details["team.leaders"] == {"person_ids": [lead]}
    assert details["team.report_with"] == {"report_with": eng}
    assert details["people.import"] == {
        "rows": 4,
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "deactivated": 0,
        "teams_created": 0,
        "leaders_added": 0,
    }
    assert details["pulse.update"] == {"fields": ["name", "k"], "name": "Q", "k": 6}
    assert details["team.focus"] == {"dimension": "trust", "shown_on_widget": False}
    assert details["widget_token.create"] == {"team_id": eng, "subtree": True}
    focus = next(r for r in rows if r["action"] == "team.focus")
    assert (focus["actor_id"], focus["object_id"]) == (UUID(lead), UUID(eng))
    assert "Ask first" not in await _dump(pool) and "lead@x.test" not in await _dump(pool)


async def test_the_operators_cli_is_logged_as_the_cli(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    made = _cli(settings, "org", "create", "Operated")
    assert made.returncode == 0, made.stderr
    org_id = await pool.fetchval("SELECT id FROM orgs WHERE name = 'Operated'")
    keyed = _cli(settings, "key", "create", "--org", str(org_id), "--name", "ops")
    assert keyed.returncode == 0, keyed.stderr
    rows = await pool.fetch("SELECT * FROM audit_log WHERE org_id = $1 ORDER BY seq", org_id)
    assert [(r["action"], r["actor_kind"], r["actor_id"]) for r in rows] == [
        ("org.create", "cli", None),
        ("key.create", "cli", None),
        ("key.create", "cli", None),
    ]
    assert rows[0]["details"] == {"name": "Operated", "floor_k": 5, "floor_comment_k": 10}
    assert rows[2]["details"] == {"role": "admin", "scope_team_ids": []}
    assert str(rows[2]["object_id"]) in keyed.stdout
    # A refused command writes nothing.
    refused = _cli(settings, "key", "create", "--org", str(org_id), "--role", "leader")
    assert refused.returncode == 1
    assert await pool.fetchval("SELECT count(*) FROM audit_log WHERE org_id = $1", org_id) == 3


async def test_a_change_whose_entry_cannot_be_written_does_not_happen(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    await pool.execute(
        "ALTER TABLE audit_log ADD CONSTRAINT refuse_for_test CHECK (action <> 'team.create')"
        " NOT VALID"
    )
    try:
        r = await client.post("/api/v1/teams", json={"name": "Ghost"}, headers=org.headers)
    finally:
        await pool.execute("ALTER TABLE audit_log DROP CONSTRAINT refuse_for_test")
    assert r.status_code == 500
    assert await pool.fetchval("SELECT count(*) FROM teams WHERE name = 'Ghost'") == 0


async def test_a_refused_change_leaves_no_entry(client: Any, pool: asyncpg.Pool, org: Org) -> None:
    await _post(client, "/api/v1/teams", org.headers, name="Eng")
    before = await _dump(pool)
    refused = [
        ("POST", "/api/v1/teams", {"name": "eng"}, 409),
        ("POST", "/api/v1/pulses", {"name": "P", "team_ids": [str(UUID(int=1))]}, 400),
        (
            "POST",
            "/api/v1/people",
            {"email": "x@y.test", "display_name": "X", "team_id": str(UUID(int=2))},
            400,
        ),
        ("DELETE", f"/api/v1/keys/{UUID(int=3)}", None, 404),
        ("DELETE", f"/api/v1/widget-tokens/{UUID(int=4)}", None, 404),
    ]
    for method, path, body, status in refused:
        r = await client.request(method, path, json=body, headers=org.headers)
        assert r.status_code == status, (path, r.text)
    assert await _dump(pool) == before


async def test_the_scheduler_closing_a_wave_is_logged_as_the_system(
    client: Any, pool: asyncpg.Pool, org: Org, settings: Settings
) -> None:
    teams = await make_team_tree(pool, org.id, ["Crew"])
    await _post(
        client,
        "/api/v1/people",
        org.headers,
        email="c@x.test",
        display_name="C",
        team_id=str(teams["Crew"]),
    )
    pulse = (
        await _post(client, "/api/v1/pulses", org.headers, name="P", team_ids=[str(teams["Crew"])])
    )["id"]
    wave = (await _post(client, f"/api/v1/pulses/{pulse}/waves", org.headers))["id"]
    await pool.execute(
        "UPDATE waves SET opens_at = $2, closes_at = $3 WHERE id = $1",
        UUID(wave),
        datetime.now(UTC) - timedelta(days=2),
        datetime.now(UTC) - timedelta(days=1),
    )

    class NoRedis:
        async def enqueue_job(self, *args: Any, **kwargs: Any) -> object:
            return object()

    ctx = {"pool": pool, "settings": settings, "redis": NoRedis(), "after_close": rollup_wave}
    assert await close_due_waves(ctx) == 1
    assert await close_due_waves(ctx) == 0
    rows = await pool.fetch("SELECT * FROM audit_log WHERE action = 'wave.close'")
    assert [(r["actor_kind"], r["actor_id"], r["object_id"]) for r in rows] == [
        ("system", None, UUID(wave))
    ]


async def test_record_refuses_unknown_actions_and_details_from_the_anonymous_side(
    pool: asyncpg.Pool, org: Org
) -> None:
    by = Actor.cli(org.id)
    async with pool.acquire() as conn:
        with pytest.raises(ValueError, match="unknown audit action"):
            await record(conn, by, "wave.peek", "wave", None)
        with pytest.raises(ValueError, match="unknown audit action"):
            await record(conn, by, "wave.open", "team", None)
        for name in ("token", "comment", "answers", "email", "ip"):
            with pytest.raises(ValueError, match="may not hold"):
                await record(conn, by, "team.create", "team", None, {name: "x"})
        with pytest.raises(ValueError, match="kind cli has no id"):
            await record(conn, Actor(org.id, "cli", org.id), "team.create", "team", None)
        with pytest.raises(ValueError, match="kind api_key needs an id"):
            await record(conn, Actor(org.id, "api_key"), "team.create", "team", None)


# --- reading it -------------------------------------------------------------------------------


async def test_filters_and_pages_newest_first(client: Any, pool: asyncpg.Pool, org: Org) -> None:
    start = await pool.fetchval("SELECT now()")
    names = [f"T{i}" for i in range(5)]
    ids = [(await _post(client, "/api/v1/teams", org.headers, name=n))["id"] for n in names]
    r = await client.get(AUDIT, params={"action": "team.create"}, headers=org.headers)
    assert [e["details"]["name"] for e in r.json()["items"]] == names[::-1]
    r = await client.get(
        AUDIT, params={"object_kind": "team", "limit": 2, "offset": 1}, headers=org.headers
    )
    body = r.json()
    assert (body["total"], body["limit"], body["offset"]) == (5, 2, 1)
    assert [e["object_id"] for e in body["items"]] == [ids[3], ids[2]]
    r = await client.get(AUDIT, params={"object_id": ids[0]}, headers=org.headers)
    assert [e["action"] for e in r.json()["items"]] == ["team.create"]
    r = await client.get(AUDIT, params={"actor_kind": "cli"}, headers=org.headers)
    assert [e["action"] for e in r.json()["items"]] == ["key.create", "org.create"]
    r = await client.get(AUDIT, params={"until": start.isoformat()}, headers=org.headers)
    assert {e["action"] for e in r.json()["items"]} == {"org.create", "key.create"}
    r = await client.get(AUDIT, params={"since": start.isoformat()}, headers=org.headers)
    assert r.json()["total"] == 5
    r = await client.get(AUDIT, params={"offset": 100}, headers=org.headers)
    assert r.json()["items"] == [] and r.json()["total"] == 7


async def test_an_org_reads_only_its_own_log_and_leader_keys_get_404(
    client: Any, pool: asyncpg.Pool, org: Org, other_org: Org
) -> None:
    await _post(client, "/api/v1/teams", other_org.headers, name="Globex secret team")
    r = await client.get(AUDIT, headers=org.headers)
    assert r.json()["total"] == 2 and "Globex" not in r.text
    teams = await make_team_tree(pool, org.id, ["Crew"])
    leader = await make_leader_headers(pool, org.id, [teams["Crew"]])
    for path in (AUDIT, f"{AUDIT}.csv"):
        r = await client.get(path, headers=leader)
        assert r.status_code == 404, path
        assert "org.create" not in r.text


async def test_the_csv_is_formula_safe(client: Any, pool: asyncpg.Pool, org: Org) -> None:
    await _post(client, "/api/v1/teams", org.headers, name='=HYPERLINK("http://evil")')
    r = await client.get(f"{AUDIT}.csv", headers=org.headers)
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == [
        "at",
        "actor_kind",
        "actor_id",
        "action",
        "object_kind",
        "object_id",
        "details",
    ]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert '"name":"=HYPERLINK' in r.text.replace('""', '"')


NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC).isoformat()


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"since": "2026-01-05T09:00:00"}, "'since' needs a time zone"),
        ({"until": "2026-01-05T09:00:00"}, "'until' needs a time zone"),
        ({"since": NOW, "until": NOW}, "'since' must be before 'until'"),
        ({"since": "yesterday"}, ""),
        ({"actor_kind": "robot"}, ""),
        ({"actor_kind": "cli", "actor_id": str(UUID(int=5))}, "A cli entry has no actor_id"),
        ({"actor_id": "not-a-uuid"}, ""),
        ({"action": "wave.peek"}, ""),
        ({"object_kind": "answer"}, ""),
        ({"object_id": "x"}, ""),
        ({"limit": "0"}, ""),
        ({"limit": "501"}, ""),
        ({"offset": "-1"}, ""),
    ],
)
async def test_bad_filters_are_a_clear_400_and_change_nothing(
    client: Any, pool: asyncpg.Pool, org: Org, params: dict[str, str], words: str
) -> None:
    before = await _dump(pool)
    for path in (AUDIT, f"{AUDIT}.csv"):
        if path.endswith(".csv") and params.get("limit") == "501":
            continue  # the CSV takes up to 100,000 rows at once
        r = await client.get(path, params=params, headers=org.headers)
        assert r.status_code == 400, (path, params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        problem = r.json()
        assert problem["detail"]
        if words:
            assert words in problem["detail"]
    assert await _dump(pool) == before
