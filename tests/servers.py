"""Servers and databases of their own, for tests that need more than the session's app.

* `with_database()` / `scratch_database()` / `open_pool()`: a DSN for another database on the
  same server; a fresh migrated database, dropped afterwards; a pool as the app makes them.
* `serve_app()`: the real app under granian with production flags (`service.serve`), in a
  subprocess, logging to a file a failing check can quote; `live_server()` is the same with the
  environment of the session's database and Redis.
* `app_in_thread()`: an app object served by uvicorn in a thread (its own loop and pool), for
  browser tests that want the session's settings (and mailbox) behind real HTTP.
* `host_site()`: pages served from http://localhost:PORT, another origin than the app's, as an
  intranet page embedding a widget would be.

Every start-up waits for the server to answer (polling, with a deadline), never a fixed time.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import threading
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from service.embedded import free_port
from service.migrate import migrate
from service.serve import granian_argv
from tests.factories import ROOT, TEST_SECRET
from tests.waiting import WaitedTooLong, wait_until_sync


def with_database(dsn: str, name: str) -> str:
    """`dsn` pointing at database `name` on the same server."""
    return urlunsplit(urlsplit(dsn)._replace(path="/" + name))


async def create_migrated_database(server_dsn: str, prefix: str) -> str:
    """Create a fresh database on `server_dsn`, migrate it; return its DSN."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    dsn = with_database(server_dsn, name)
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return dsn


async def drop_database(server_dsn: str, dsn: str) -> None:
    name = urlsplit(dsn).path.lstrip("/")
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def scratch_database(server_dsn: str, prefix: str = "candor_scratch") -> AsyncIterator[str]:
    """A fresh, migrated database on `server_dsn`, dropped afterwards."""
    dsn = await create_migrated_database(server_dsn, prefix)
    try:
        yield dsn
    finally:
        await drop_database(server_dsn, dsn)


async def open_pool(dsn: str, max_size: int = 10) -> asyncpg.Pool:
    """A pool whose connections are set up as the app sets up its own."""
    from service.db import _init_connection

    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=max_size, init=_init_connection)
    assert pool is not None
    return pool


def _answers(url: str) -> bool:
    with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as r:
        return bool(r.status == 200)
    return False


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    log_path: Path

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


@contextlib.contextmanager
def serve_app(env: dict[str, str], log_path: Path, *, workers: int = 1) -> Iterator[LiveServer]:
    """The real app under granian, with production flags, until the block ends.

    `env` is the app's environment (over this process's, less its SMTP_URL and DATABASE_URL);
    PUBLIC_BASE_URL defaults to the server's own address. Ready means /ready answers 200.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    clean = {k: v for k, v in os.environ.items() if k not in ("SMTP_URL", "DATABASE_URL")}
    full = {**clean, "PUBLIC_BASE_URL": base, **env}
    server = LiveServer(base, log_path)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            granian_argv("127.0.0.1", port, workers),
            env=full,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:

            def ready() -> bool:
                if proc.poll() is not None:
                    raise RuntimeError(f"the app exited during start-up:\n{server.log_tail()}")
                return _answers(base + "/ready")

            try:
                wait_until_sync(ready, "the app to be ready", timeout=30)
            except WaitedTooLong:
                raise RuntimeError(f"the app did not become ready:\n{server.log_tail()}") from None
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@contextlib.contextmanager
def live_server(database_url: str, redis_url: str, log_path: Path) -> Iterator[LiveServer]:
    """`serve_app()` on the session's database and Redis, logging JSON at INFO."""
    env = {
        "CANDOR_ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": TEST_SECRET,
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
        "RATE_LIMIT": "off",
    }
    with serve_app(env, log_path) as server:
        yield server


@contextlib.contextmanager
def app_in_thread(app: Any) -> Iterator[str]:
    """Serve an app object over real HTTP from a thread (its own event loop); yields its URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:

        def started() -> bool:
            if not thread.is_alive():
                raise RuntimeError("the app's thread ended during start-up")
            return bool(server.started)

        wait_until_sync(started, "the app in a thread to start", timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@dataclass
class HostSite:
    """Pages served from http://localhost:PORT; tests put HTML under a path, browsers fetch it."""

    port: int
    pages: dict[str, bytes] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"

    def put(self, path: str, html: str) -> str:
        self.pages[path] = html.encode()
        return self.origin + path


@contextlib.contextmanager
def host_site() -> Iterator[HostSite]:
    site = HostSite(free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = site.pages.get(self.path.split("?")[0])
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", site.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
