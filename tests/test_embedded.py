"""The embedded PostgreSQL stops with its last live user, even after a user was killed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from service.embedded import _forget_dead_handles


def test_users_that_died_without_letting_go_are_forgotten(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True
    )
    dead_pid = int(dead.stdout)
    # A process that stays alive (its own pause is what it is for); the test waits on nothing.
    alive_pid = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        handles = tmp_path / ".handle_pids.json"
        handles.write_text(json.dumps([dead_pid, alive_pid.pid]))
        _forget_dead_handles(tmp_path)
        assert json.loads(handles.read_text()) == [alive_pid.pid]
    finally:
        alive_pid.kill()
        alive_pid.wait()


def test_a_missing_or_garbled_handle_list_is_left_alone(tmp_path: Path) -> None:
    _forget_dead_handles(tmp_path)  # no file: nothing to do, no error
    (tmp_path / ".handle_pids.json").write_text("not json")
    _forget_dead_handles(tmp_path)
    assert (tmp_path / ".handle_pids.json").read_text() == "not json"
