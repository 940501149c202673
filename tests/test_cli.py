"""The `candor` CLI as an operator runs it: a real subprocess against the test database.

Production is the default CANDOR_ENV, so these run without it unless they say otherwise, and
each gets its own empty data folder (never the repository's `.candor`).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from service.devrecord import DevInstance, write_note
from tests.factories import ROOT, Org, make_org, make_people, make_team_tree

UNSET = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "CANDOR_ENV", "CANDOR_DATA_DIR", "SMTP_URL")
SECRET = secrets.token_urlsafe(32)  # production refuses a low-variety key


def candor(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in UNSET}
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        cwd=ROOT,
        env={**base, "CANDOR_DATA_DIR": str(data_dir), **env},
        capture_output=True,
        text=True,
        timeout=40,
        check=False,
    )


async def acandor(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(candor, *args, data_dir=data_dir, **env)


def one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode != 0, r.stdout
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("candor: ")
    return lines[0]


def test_version_is_the_package_version(tmp_path: Path) -> None:
    r = candor("--version", data_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"candor {version('candor')}"


@pytest.mark.parametrize(
    "args",
    [
        ["migrate"],
        ["org", "create", "Initech"],
        ["org", "list"],
        ["key", "list", "--org", "Initech"],
        ["import", "people.csv", "--org", "00000000-0000-0000-0000-000000000000"],
    ],
)
def test_production_without_database_url_names_it_and_starts_no_database(
    tmp_path: Path, args: list[str]
) -> None:
    (tmp_path / "people.csv").write_text("email,display_name\nann@example.com,Ann\n")
    r = candor(*[str(tmp_path / a) if a.endswith(".csv") else a for a in args], data_dir=tmp_path)
    assert "DATABASE_URL" in one_line_error(r)
    assert not (tmp_path / "pg").exists()  # no embedded server was started


def test_a_stale_dev_note_is_ignored(tmp_path: Path) -> None:
    # Left behind by a killed `candor dev`: this test's own pid is alive, but no one holds the
    # folder's lock, so the note does not count.
    (tmp_path / "dev.lock").write_text("1")
    write_note(
        tmp_path,
        DevInstance(
            pid=os.getpid(),
            api_url="http://127.0.0.1:9",
            database_url="postgresql://u@127.0.0.1:9/candor",
            redis_url="redis://127.0.0.1:9/0",
            secret_key_file=None,
        ),
    )
    assert (tmp_path / "dev.json").stat().st_mode & 0o777 == 0o600
    line = one_line_error(candor("org", "list", data_dir=tmp_path))
    assert "DATABASE_URL is not set" in line


async def test_org_create_needs_only_the_database(
    database_url: str, pool: Any, client: Any, tmp_path: Path
) -> None:
    r = await acandor("org", "create", "Initech", data_dir=tmp_path, DATABASE_URL=database_url)
    assert r.returncode == 0, r.stderr
    key = r.stdout.strip().split()[-1]
    me = await client.get("/api/v1/org", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200 and me.json()["name"] == "Initech"


async def test_org_list_shows_each_org_with_its_counts(
    database_url: str, pool: Any, org: Org, tmp_path: Path
) -> None:
    teams = await make_team_tree(pool, org.id, {"Engineering": {"Platform": {}}, "Sales": {}})
    await make_people(pool, org.id, teams["Platform"], 4)
    await make_org(pool, "Globex")
    r = await acandor("org", "list", data_dir=tmp_path, DATABASE_URL=database_url)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["id", "name", "created", "(UTC)", "people", "teams", "keys"]
    acme = next(line for line in lines if line.startswith(str(org.id)))
    assert acme.split()[1] == "Acme" and acme.split()[-3:] == ["4", "3", "1"]
    assert any("Globex" in line for line in lines)

    as_json = await acandor("org", "list", "--json", data_dir=tmp_path, DATABASE_URL=database_url)
    rows = {o["name"]: o for o in json.loads(as_json.stdout)}
    assert rows["Acme"]["id"] == str(org.id) and rows["Acme"]["people"] == 4


async def test_key_create_takes_team_paths_and_the_org_name(
    database_url: str, pool: Any, client: Any, org: Org, tmp_path: Path
) -> None:
    teams = await make_team_tree(pool, org.id, {"Engineering": {"Platform": {}}, "Sales": {}})
    r = await acandor(
        *("key", "create", "--org", "Acme", "--role", "leader", "--name", "lead"),
        *("--team", "engineering/Platform", "--team", str(teams["Sales"])),
        data_dir=tmp_path,
        DATABASE_URL=database_url,
    )
    assert r.returncode == 0, r.stderr
    key = r.stdout.strip().split()[-1]
    scope = await pool.fetchval("SELECT scope_team_ids FROM api_keys WHERE name = 'lead'")
    assert set(scope) == {teams["Platform"], teams["Sales"]}
    seen = await client.get("/api/v1/teams", headers={"Authorization": f"Bearer {key}"})
    assert seen.status_code == 200
    assert {t["name"] for t in seen.json()["items"]} == {"Platform", "Sales"}


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["--org", "Acme", "--role", "leader", "--team", "Engineering/Nope"], "Engineering/Nope"),
        (["--org", "Acme", "--role", "leader", "--team", "Platform"], "Unknown team 'Platform'"),
        (["--org", "Acme", "--role", "leader"], "needs at least one --team"),
        (["--org", "Acme", "--team", "Engineering"], "admin key sees the whole org"),
        (["--org", "Initech"], "no org named 'Initech'"),
        (["--org", "00000000-0000-0000-0000-000000000000"], "no org with id"),
        (["--org", "Twin"], "2 orgs are named 'Twin'"),
    ],
)
async def test_key_create_explains_what_matches_nothing_or_too_much(
    database_url: str, pool: Any, org: Org, tmp_path: Path, args: list[str], phrase: str
) -> None:
    await make_team_tree(pool, org.id, {"Engineering": {"Platform": {}}})
    await make_org(pool, "Twin")
    await make_org(pool, "Twin")
    r = await acandor("key", "create", *args, data_dir=tmp_path, DATABASE_URL=database_url)
    assert phrase in one_line_error(r)
    assert await pool.fetchval("SELECT count(*) FROM api_keys WHERE name = 'cli'") == 0


async def test_key_list_shows_prefixes_and_scopes_and_revoke_stops_a_key(
    database_url: str, pool: Any, client: Any, org: Org, tmp_path: Path
) -> None:
    await make_team_tree(pool, org.id, {"Engineering": {"Platform": {}}})
    made = await acandor(
        *("key", "create", "--org", str(org.id), "--role", "leader", "--name", "lead"),
        *("--team", "Engineering/Platform"),
        data_dir=tmp_path,
        DATABASE_URL=database_url,
    )
    key = made.stdout.strip().split()[-1]
    listed = await acandor(
        "key", "list", "--org", "Acme", data_dir=tmp_path, DATABASE_URL=database_url
    )
    assert listed.returncode == 0, listed.stderr
    assert key not in listed.stdout and org.admin_key not in listed.stdout
    lead = next(line for line in listed.stdout.splitlines() if " lead " in line)
    assert key[:12] in lead and "Engineering/Platform" in lead and lead.rstrip().endswith("-")

    as_json = await acandor(
        "key", "list", "--org", "Acme", "--json", data_dir=tmp_path, DATABASE_URL=database_url
    )
    rows = {k["name"]: k for k in json.loads(as_json.stdout)}
    assert rows["lead"]["scope"] == ["Engineering/Platform"] and rows["lead"]["revoked_at"] is None
    assert all("key_hash" not in k and "key" not in k for k in rows.values())

    headers = {"Authorization": f"Bearer {key}"}
    assert (await client.get("/api/v1/teams", headers=headers)).status_code == 200
    revoked = await acandor(
        "key", "revoke", "--org", "Acme", key[:12], data_dir=tmp_path, DATABASE_URL=database_url
    )
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.startswith("revoked leader key 'lead'")
    assert (await client.get("/api/v1/teams", headers=headers)).status_code == 401
    assert (await client.get("/api/v1/org", headers=org.headers)).status_code == 200

    again = await acandor(
        "key",
        "revoke",
        "--org",
        "Acme",
        rows["lead"]["id"],
        data_dir=tmp_path,
        DATABASE_URL=database_url,
    )
    assert again.returncode == 0 and "already revoked" in again.stdout
    listed = await acandor(
        "key", "list", "--org", "Acme", data_dir=tmp_path, DATABASE_URL=database_url
    )
    lead = next(line for line in listed.stdout.splitlines() if " lead " in line)
    assert not lead.rstrip().endswith("-")


@pytest.mark.parametrize(
    ("ref", "phrase"),
    [
        ("cnd_", "at least 8 characters"),
        ("cnd_zzzzzzzz", "no key starting with"),
        ("00000000-0000-0000-0000-000000000000", "no key with id"),
    ],
)
async def test_key_revoke_refuses_what_it_cannot_pin_down(
    database_url: str, pool: Any, org: Org, tmp_path: Path, ref: str, phrase: str
) -> None:
    r = await acandor(
        "key", "revoke", "--org", "Acme", ref, data_dir=tmp_path, DATABASE_URL=database_url
    )
    assert phrase in one_line_error(r)
    assert await pool.fetchval("SELECT count(*) FROM api_keys WHERE revoked_at IS NOT NULL") == 0


@pytest.mark.parametrize(
    ("command", "broken"),
    [("serve", "postgres"), ("serve", "redis"), ("worker", "postgres"), ("worker", "redis")],
)
def test_serve_and_worker_report_unreachable_services_in_one_line(
    database_url: str, redis_url: str, tmp_path: Path, command: str, broken: str
) -> None:
    env = {
        "SECRET_KEY": SECRET,
        "DATABASE_URL": "postgresql://u:hunter2pw@127.0.0.1:9/candor"
        if broken == "postgres"
        else database_url,
        "REDIS_URL": "redis://:hunter2pw@127.0.0.1:9/0" if broken == "redis" else redis_url,
        "ARQ_QUEUE": "candor-test:never-used",
    }
    args = [command, "--port", "9"] if command == "serve" else [command]
    line = one_line_error(candor(*args, data_dir=tmp_path, **env))
    what = "PostgreSQL" if broken == "postgres" else "Redis"
    assert f"cannot reach {what} at 127.0.0.1:9" in line
    assert "hunter2pw" not in line


def test_make_dev_takes_port_and_host() -> None:
    def dry(*args: str) -> str:
        r = subprocess.run(
            ["make", "-n", "dev", *args],
            cwd=ROOT,
            env={k: v for k, v in os.environ.items() if k not in ("PORT", "HOST")},
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return next(line for line in r.stdout.splitlines() if "candor dev" in line)

    assert dry("PORT=8123", "HOST=0.0.0.0").endswith("candor dev --port 8123 --host 0.0.0.0")
    assert dry().rstrip().endswith("candor dev")
