"""`candor dev`, the README's first command: ready fast, one per data folder, clean Ctrl-C."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from service.embedded import free_port


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


@pytest.fixture
def folder() -> Iterator[Path]:
    path = Path(f"/tmp/cdv-{secrets.token_hex(3)}")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_dev_starts_ready_refuses_a_twin_and_stops_cleanly(folder: Path) -> None:
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "dev", "--port", str(port)],
        env=_env(folder),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        while _get(base + "/ready") != 200:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            # How fast is bench/startup.py's business; here only that it gets there.
            assert time.monotonic() - started < 120, "not ready within 2 minutes"
            time.sleep(0.2)
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
    deadline = time.monotonic() + 10
    while _leftovers(folder) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _leftovers(folder) == []
