"""The org's anonymity floors: set by the operator (CLI), shown read-only by the API, enforced on
every pulse write and every wave opening, and never reaching back into an opened wave."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from service.analytics.rollup import rollup_wave
from service.audit import Actor
from service.orgs import DEFAULT_FLOORS, Floors, set_floors
from service.settings import Settings
from service.surveys.waves import open_due_waves
from tests.factories import ROOT, Org, make_org, make_people, make_pulse, make_team_tree

API = "/api/v1/pulses"
HINT = "the operator can change floors with `candor org floors`"


@pytest.fixture
async def floored(pool: asyncpg.Pool) -> Org:
    """An org with the default floors (k 5, comment_k 10)."""
    return await make_org(pool, "Floored", floors=DEFAULT_FLOORS)


async def _team_with_people(pool: asyncpg.Pool, org: Org, n: int = 6) -> UUID:
    teams = await make_team_tree(pool, org.id, ["Crew"])
    await make_people(pool, org.id, teams["Crew"], n)
    return teams["Crew"]


async def _entries(pool: asyncpg.Pool, org: Org, action: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT * FROM audit_log WHERE org_id = $1 AND action = $2 ORDER BY seq", org.id, action
    )


async def test_an_org_shows_its_floors_read_only(client: Any, floored: Org) -> None:
    r = await client.get("/api/v1/org", headers=floored.headers)
    assert r.status_code == 200
    assert r.json()["floors"] == {
        "k": 5,
        "comment_k": 10,
        "changed_by": "the operator, with `candor org floors`",
    }
    for method in ("PATCH", "PUT", "POST"):
        r = await client.request(
            method, "/api/v1/org", json={"floors": {"k": 3}}, headers=floored.headers
        )
        assert r.status_code == 405, method


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (
            {"k": 3, "comment_k": 10},
            422,
            f"k must be at least 5, this organisation's floor; {HINT}.",
        ),
        ({"k": 4, "comment_k": 10}, 422, "k must be at least 5"),
        (
            {"k": 5, "comment_k": 9},
            422,
            "comment_k must be at least 10, this organisation's floor",
        ),
        (
            {"k": 3, "comment_k": 3},
            422,
            "k must be at least 5 and comment_k must be at least 10, this organisation's floors",
        ),
        ({"k": 8, "comment_k": 6}, 400, "must be at least k"),
        ({"k": 2, "comment_k": 10}, 400, ""),
        ({"k": 5, "comment_k": 10}, 201, ""),
        ({"k": 6, "comment_k": 11}, 201, ""),
    ],
)
async def test_a_pulse_below_the_floor_is_refused_with_the_floor_and_who_can_change_it(
    client: Any, pool: asyncpg.Pool, floored: Org, body: dict[str, int], status: int, words: str
) -> None:
    team = await _team_with_people(pool, floored)
    r = await client.post(
        API, json={"name": "P", "team_ids": [str(team)], **body}, headers=floored.headers
    )
    assert r.status_code == status, r.text
    if status != 201:
        assert r.headers["content-type"].startswith("application/problem+json")
        assert words in r.json()["detail"]
        assert await pool.fetchval("SELECT count(*) FROM pulses") == 0
        assert await _entries(pool, floored, "pulse.create") == []


async def test_at_the_lowest_floors_k_3_is_allowed(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    team = await _team_with_people(pool, org)
    body = {"name": "P", "team_ids": [str(team)], "k": 3, "comment_k": 3}
    r = await client.post(API, json=body, headers=org.headers)
    assert r.status_code == 201, r.text


async def test_patch_and_activate_are_held_to_the_floor_too(
    client: Any, pool: asyncpg.Pool, floored: Org
) -> None:
    team = await _team_with_people(pool, floored)
    r = await client.post(API, json={"name": "P", "team_ids": [str(team)]}, headers=floored.headers)
    pulse = r.json()["id"]
    r = await client.patch(f"{API}/{pulse}", json={"k": 4}, headers=floored.headers)
    assert r.status_code == 422 and "k must be at least 5" in r.json()["detail"]
    r = await client.patch(f"{API}/{pulse}", json={"comment_k": 9}, headers=floored.headers)
    assert r.status_code == 422 and "comment_k must be at least 10" in r.json()["detail"]
    shown = (await client.get(f"{API}/{pulse}", headers=floored.headers)).json()
    assert (shown["k"], shown["comment_k"]) == (5, 10)
    assert await _entries(pool, floored, "pulse.update") == []
    # A pulse left below a raised floor cannot be resumed until it is raised too.
    await client.post(f"{API}/{pulse}/deactivate", headers=floored.headers)
    await pool.execute("UPDATE pulses SET k = 3, comment_k = 3 WHERE id = $1", UUID(pulse))
    r = await client.post(f"{API}/{pulse}/activate", headers=floored.headers)
    assert r.status_code == 422 and HINT in r.json()["detail"]


async def test_a_floor_raise_never_changes_an_opened_wave_and_stops_the_next_until_raised(
    client: Any, pool: asyncpg.Pool, org: Org
) -> None:
    team = await _team_with_people(pool, org)
    r = await client.post(
        API,
        json={"name": "P", "team_ids": [str(team)], "k": 3, "comment_k": 4},
        headers=org.headers,
    )
    pulse = r.json()["id"]
    r = await client.post(f"{API}/{pulse}/waves", headers=org.headers)
    assert r.status_code == 201, r.text
    wave = r.json()["id"]
    async with pool.acquire() as conn:
        before, after = await set_floors(conn, org.id, 5, 10, Actor.cli(org.id))
    assert (before, after) == (Floors(3, 3), Floors(5, 10))
    shown = (await client.get(f"/api/v1/waves/{wave}", headers=org.headers)).json()
    assert (shown["k"], shown["comment_k"]) == (3, 4)
    r = await client.post(f"/api/v1/waves/{wave}/close", headers=org.headers)
    assert r.status_code == 200
    closed = await pool.fetchrow("SELECT k, comment_k, state FROM waves WHERE id = $1", UUID(wave))
    assert tuple(closed) == (3, 4, "closed")
    # The next wave of the same pulse is refused, saying what to do.
    r = await client.post(f"{API}/{pulse}/waves", headers=org.headers)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "k must be at least 5 (the pulse has 3)" in detail
    assert "comment_k must be at least 10 (the pulse has 4)" in detail
    assert f"PATCH /api/v1/pulses/{pulse}" in detail and HINT in detail
    assert await pool.fetchval("SELECT count(*) FROM waves") == 1
    # An admin raises the pulse: the next wave opens with the new thresholds.
    r = await client.patch(f"{API}/{pulse}", json={"k": 5, "comment_k": 10}, headers=org.headers)
    assert r.status_code == 200, r.text
    r = await client.post(f"{API}/{pulse}/waves", headers=org.headers)
    assert r.status_code == 201, r.text
    assert (r.json()["k"], r.json()["comment_k"]) == (5, 10)


def _ctx(pool: asyncpg.Pool, settings: Settings) -> dict[str, Any]:
    class NoRedis:
        async def enqueue_job(self, *args: Any, **kwargs: Any) -> object:
            return object()

    return {"pool": pool, "settings": settings, "redis": NoRedis(), "after_close": rollup_wave}


async def test_the_scheduler_records_why_a_pulse_below_the_floor_opens_no_wave(
    client: Any, pool: asyncpg.Pool, floored: Org, settings: Settings
) -> None:
    team = await _team_with_people(pool, floored)
    # A pulse from before the floor was raised (written as it stood then).
    pulse = await make_pulse(pool, floored.id, [team], k=3, comment_k=10)
    assert await open_due_waves(_ctx(pool, settings)) == 0
    error = await pool.fetchval(
        "SELECT error FROM schedule_errors WHERE pulse_id = $1 AND step = 'open'", pulse
    )
    assert error.startswith("could not open a wave: No wave opens below the floors:")
    assert "k must be at least 5 (the pulse has 3)" in error and HINT in error
    assert await pool.fetchval("SELECT count(*) FROM waves") == 0
    assert await _entries(pool, floored, "wave.open") == []
    # Raised by an admin and due again: the scheduler opens it, as the system.
    r = await client.patch(f"{API}/{pulse}", json={"k": 5}, headers=floored.headers)
    assert r.status_code == 200, r.text
    await pool.execute(
        "UPDATE pulses SET next_wave_at = $2 WHERE id = $1", pulse, datetime.now(UTC)
    )
    assert await open_due_waves(_ctx(pool, settings)) == 1
    (opened,) = await _entries(pool, floored, "wave.open")
    assert (opened["actor_kind"], opened["actor_id"]) == ("system", None)
    assert await pool.fetchval("SELECT count(*) FROM schedule_errors") == 0


# --- the operator's command ------------------------------------------------------------------


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


async def _floors(pool: asyncpg.Pool, org_id: UUID) -> tuple[int, int]:
    row = await pool.fetchrow("SELECT floor_k, floor_comment_k FROM orgs WHERE id = $1", org_id)
    return row["floor_k"], row["floor_comment_k"]


async def test_the_operator_changes_floors_with_the_cli_and_the_log_names_the_cli(
    pool: asyncpg.Pool, floored: Org, settings: Settings
) -> None:
    done = _cli(settings, "org", "floors", "Floored", "--k", "7", "--comment-k", "12")
    assert done.returncode == 0, done.stderr
    assert "k 5 -> 7, comment_k 10 -> 12" in done.stdout
    assert await _floors(pool, floored.id) == (7, 12)
    done = _cli(settings, "org", "floors", str(floored.id), "--k", "9")
    assert done.returncode == 0, done.stderr
    assert await _floors(pool, floored.id) == (9, 12)
    shown = _cli(settings, "org", "floors", "Floored")
    assert shown.returncode == 0 and "k 9, comment_k 12 (unchanged)" in shown.stdout
    entries = await _entries(pool, floored, "org.floors")
    assert [(e["actor_kind"], e["actor_id"], e["object_id"]) for e in entries] == [
        ("cli", None, floored.id),
        ("cli", None, floored.id),
    ]
    assert entries[0]["details"] == {
        "k": 7,
        "comment_k": 12,
        "previous_k": 5,
        "previous_comment_k": 10,
    }
    assert entries[1]["details"] == {
        "k": 9,
        "comment_k": 12,
        "previous_k": 7,
        "previous_comment_k": 12,
    }


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--k", "2"], "the k floor must be between 3 and 100, not 2"),
        (["--comment-k", "2"], "the comment_k floor must be between 3 and 1000, not 2"),
        (["--k", "11"], "the comment_k floor (10) must be at least the k floor (11)"),
        (
            ["--k", "6", "--comment-k", "5"],
            "the comment_k floor (5) must be at least the k floor (6)",
        ),
    ],
)
async def test_the_cli_refuses_floors_out_of_bounds_and_changes_nothing(
    pool: asyncpg.Pool, floored: Org, settings: Settings, args: list[str], words: str
) -> None:
    done = _cli(settings, "org", "floors", "Floored", *args)
    assert done.returncode == 1
    assert done.stderr.strip() == f"candor: {words}"
    assert await _floors(pool, floored.id) == (5, 10)
    assert await _entries(pool, floored, "org.floors") == []


async def test_the_cli_names_an_unknown_or_ambiguous_org(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    await make_org(pool, "Twin")
    await make_org(pool, "Twin")
    done = _cli(settings, "org", "floors", "Twin", "--k", "6")
    assert (done.returncode, done.stderr.strip()) == (
        1,
        "candor: more than one org is named 'Twin'; give its id",
    )
    done = _cli(settings, "org", "floors", "Nobody", "--k", "6")
    assert done.stderr.strip() == "candor: no org named 'Nobody' (give its id or its exact name)"
    missing = "00000000-0000-4000-8000-000000000000"
    done = _cli(settings, "org", "floors", missing, "--k", "6")
    assert done.stderr.strip() == f"candor: no org {missing}"
    assert await pool.fetchval("SELECT count(*) FROM audit_log WHERE action = 'org.floors'") == 0
