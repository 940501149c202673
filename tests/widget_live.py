"""A live Candor server (granian, production flags) and a tiny host site on another origin.

The widget tests that need a real browser or a real log run the app exactly as production does
(`service.serve.granian_argv`) on 127.0.0.1, and serve host pages from `localhost` on other ports:
a different origin, as an intranet page embedding the widget would be.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from service.embedded import free_port
from service.serve import granian_argv
from tests.conftest import ROOT, TEST_SECRET


@dataclass
class LiveServer:
    base: str
    log_path: Path
    proc: subprocess.Popen[bytes]

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def live_server(database_url: str, redis_url: str, log_path: Path) -> Iterator[LiveServer]:
    port = free_port()
    env = {
        **os.environ,
        "CANDOR_ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": TEST_SECRET,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
        "RATE_LIMIT": "off",
    }
    log = log_path.open("wb")
    proc = subprocess.Popen(
        granian_argv("127.0.0.1", port), env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"granian exited: {log_path.read_text()[-2000:]}")
            with contextlib.suppress(OSError), urllib.request.urlopen(base + "/health", timeout=1):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("granian did not answer /health in 30 s")
            time.sleep(0.1)
        yield LiveServer(base, log_path, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


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
