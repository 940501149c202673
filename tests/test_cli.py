"""The `candor` CLI as an operator runs it: a real subprocess against the test database.

Production is the default CANDOR_ENV, so these run without it unless they say otherwise, and
each gets its own empty data folder (never the repository's `.candor`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode != 0, r.stdout
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("candor: ")
    return lines[0]


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
