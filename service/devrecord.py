"""The note a running `candor dev` leaves in its data folder, so other commands can find it.

`candor dev` writes `dev.json` (mode 0600) once its services are up and removes it when it stops:
the DATABASE_URL of its PostgreSQL (the embedded server's unix socket, or the configured one),
its REDIS_URL, where its SECRET_KEY comes from, the API's address and its pid. A `candor` command
run with no DATABASE_URL of its own then talks to that instance, instead of starting a second
embedded server on the same folder (or, in production, instead of failing).

A note counts only while the `candor dev` that wrote it still holds the folder's lock: a note
left behind by a killed process is ignored.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Mapping
from pathlib import Path

import msgspec

NOTE = "dev.json"
LOCK = "dev.lock"


class DevInstance(msgspec.Struct, frozen=True, kw_only=True):
    pid: int
    api_url: str
    database_url: str
    redis_url: str
    # None when `candor dev` got SECRET_KEY from its environment rather than the data folder.
    secret_key_file: str | None


def data_folder(env: Mapping[str, str] = os.environ) -> Path:
    """The data folder, chosen exactly as `candor dev` chooses it (CANDOR_DATA_DIR or .candor)."""
    return Path(env.get("CANDOR_DATA_DIR", "").strip() or ".candor")


def write_note(folder: Path, instance: DevInstance) -> None:
    path = folder / NOTE
    tmp = folder / (NOTE + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    # Created 0600 from the start: the note may carry a database password.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(msgspec.json.format(msgspec.json.encode(instance)))
    tmp.replace(path)


def remove_note(folder: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (folder / NOTE).unlink()


def find_running(folder: Path) -> DevInstance | None:
    """The `candor dev` running on `folder`, or None."""
    path = folder / NOTE
    try:
        if path.stat().st_uid != os.getuid():
            return None  # only trust a note written by this user
        instance = msgspec.json.decode(path.read_bytes(), type=DevInstance)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None
    if not _alive(instance.pid) or not lock_held(folder):
        return None
    return instance


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lock_held(folder: Path) -> bool:
    """True while some process holds `candor dev`'s exclusive lock on the folder."""
    try:
        handle = (folder / LOCK).open("r")
    except OSError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
