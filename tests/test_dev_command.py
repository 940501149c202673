"""`candor dev`, the README's first command: ready fast, one per data folder, clean Ctrl-C, and
the instance the other `candor` commands use while it runs."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from service.embedded import free_port
from tests.waiting import WaitedTooLong, wait_until_sync


def _env(folder: Path) -> dict[str, str]:
    drop = {"DATABASE_URL", "REDIS_URL", "SMTP_URL", "SECRET_KEY", "CANDOR_ENV", "PUBLIC_BASE_URL"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["CANDOR_DATA_DIR"] = str(folder)
    return env


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return int(r.status)
    except Exception:
        return 0


def _leftovers(folder: Path) -> list[str]:
    found = []
    for proc in psutil.process_iter(attrs=("pid", "cmdline")):
        cmd = " ".join(proc.info["cmdline"] or [])
        if str(folder) in cmd and proc.info["pid"] != os.getpid():
            found.append(cmd)
    return found


def _wait_ready(proc: subprocess.Popen[str], base: str) -> None:
    def ready() -> bool:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        return _get(base + "/ready") == 200

    wait_until_sync(ready, "`candor dev` to be ready", timeout=120, interval=0.2)


def _wait_no_leftovers(folder: Path) -> None:
    try:
        wait_until_sync(
            lambda: not _leftovers(folder), "no process of the folder left", interval=0.2
        )
    except WaitedTooLong:
        assert _leftovers(folder) == []


@pytest.fixture
def folder() -> Iterator[Path]:
    path = Path(f"/tmp/cdv-{secrets.token_hex(3)}")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_dev_starts_ready_refuses_a_twin_and_stops_cleanly(folder: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "dev", "--port", str(port)],
        env=_env(folder),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        # How fast is bench/startup.py's business; here only that it gets there.
        _wait_ready(proc, base)
        assert _get(base + "/dev/outbox") == 200

        twin = subprocess.run(
            [sys.executable, "-m", "service.cli", "dev", "--port", str(free_port())],
            env=_env(folder),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert twin.returncode == 1
        assert "already using" in twin.stderr and "Traceback" not in twin.stderr
        assert _get(base + "/ready") == 200  # the first one is undisturbed
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert "Candor is up" in out
    # Where to see the demo's groups (Design, 3 people, is reported together with Data).
    assert re.search(r"groups +http://127\.0\.0\.1:\d+/api/v1/pulses/[0-9a-f-]{36}/preview", out)
    assert proc.returncode == 0
    _wait_no_leftovers(folder)


def _cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # As a new user types it in the folder `make dev` runs in: no DATABASE_URL, no SECRET_KEY,
    # no CANDOR_ENV (so production).
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        env=_env(folder),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_commands_use_the_running_dev_instance_and_stop_with_it(folder: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "dev", "--port", str(port), "--no-worker"],
        env=_env(folder),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, base)
        note = folder / "dev.json"
        assert note.stat().st_mode & 0o777 == 0o600
        assert json.loads(note.read_text())["api_url"] == base

        orgs = _cli(folder, "org", "list")
        assert orgs.returncode == 0, orgs.stderr
        assert "Demo Co" in orgs.stdout
        assert "using the `candor dev` running on" in orgs.stderr
        assert len(orgs.stderr.strip().splitlines()) == 1

        made = _cli(
            folder,
            *("key", "create", "--org", "Demo Co", "--role", "leader"),
            *("--team", "Product/Platform", "--name", "platform lead"),
        )
        assert made.returncode == 0, made.stderr
        key = made.stdout.strip().split()[-1]
        request = urllib.request.Request(
            base + "/api/v1/teams", headers={"Authorization": f"Bearer {key}"}
        )
        with urllib.request.urlopen(request, timeout=5) as r:
            assert r.status == 200
            assert {t["name"] for t in json.load(r)["items"]} == {"Platform"}

        keys = _cli(folder, "key", "list", "--org", "Demo Co")
        assert "platform lead" in keys.stdout and "Product/Platform" in keys.stdout
        # The command connected to the running server; it did not join it as another user.
        handles = json.loads((folder / "pg" / ".handle_pids.json").read_text())
        assert handles == [proc.pid]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert not (folder / "dev.json").exists()
    after = _cli(folder, "org", "list")
    assert after.returncode == 2 and "DATABASE_URL is not set" in after.stderr
    assert "Traceback" not in after.stderr
    _wait_no_leftovers(folder)
