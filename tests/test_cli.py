"""The `candor` CLI as an operator runs it: a real subprocess against the test database.

Production is the default CANDOR_ENV, so these run without it unless they say otherwise, and
each gets its own empty data folder (never the repository's `.candor`).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from service.devrecord import DevInstance, write_note
from tests.conftest import ROOT

UNSET = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "CANDOR_ENV", "CANDOR_DATA_DIR", "SMTP_URL")
SECRET = "s" * 40


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


@pytest.mark.parametrize(
    "args",
    [
        ["migrate"],
        ["org", "create", "Initech"],
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
    line = one_line_error(candor("migrate", data_dir=tmp_path))
    assert "DATABASE_URL is not set" in line


async def test_org_create_needs_only_the_database(
    database_url: str, pool: Any, client: Any, tmp_path: Path
) -> None:
    r = await acandor("org", "create", "Initech", data_dir=tmp_path, DATABASE_URL=database_url)
    assert r.returncode == 0, r.stderr
    key = r.stdout.strip().split()[-1]
    me = await client.get("/api/v1/org", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200 and me.json()["name"] == "Initech"


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
