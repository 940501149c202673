"""Shared load generation and server start-up for the benchmarks.

`load()` drives an HTTP/1.1 keep-alive GET load with `wrk` when it is installed (a C client
leaves the server the CPU it needs) and with a small asyncio client otherwise; both report
requests/s, p50/p99 latency and non-2xx/3xx counts. `serve()` starts a target with granian using
exactly the flags production uses (service/serve.py), so "ours" and "bare" are served the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.embedded import free_port  # noqa: E402
from service.serve import granian_argv  # noqa: E402


@contextlib.contextmanager
def serve(target: str, env: dict[str, str], ready_path: str = "/health") -> Iterator[str]:
    """Run `target` (module:factory) under granian; yield its base URL once it answers."""
    port = free_port()
    argv = granian_argv("127.0.0.1", port, 1, target)
    proc = subprocess.Popen(
        argv, env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"{target} exited: {proc.stderr.read().decode() if proc.stderr else ''}"
                )
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(base + ready_path, timeout=1) as r:
                    if r.status == 200:
                        break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{target} did not answer {ready_path}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _wrk(url: str, connections: int, seconds: float, headers: dict[str, str]) -> dict[str, Any]:
    argv = [
        "wrk",
        "-t",
        "1",
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(seconds))}s",
        "--latency",
    ]
    for k, v in headers.items():
        argv += ["-H", f"{k}: {v}"]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # Anchored: "+/- Stdev" columns elsewhere in wrk's output also contain "99%".
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    socket_errors = sum(int(x) for x in errors.groups()) if errors else 0
    return {
        "rps": round(rps, 1),
        "p50_ms": round(p50, 3),
        "p99_ms": round(p99, 3),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": socket_errors,
        "client": "wrk",
    }


async def _py_load(
    url: str, connections: int, seconds: float, headers: dict[str, str]
) -> dict[str, Any]:
    m = re.match(r"http://([^/:]+):(\d+)(/.*)?", url)
    assert m, url
    host, port, path = m.group(1), int(m.group(2)), m.group(3) or "/"
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()
    latencies: list[float] = []
    bad = 0
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal bad
        reader, writer = await asyncio.open_connection(host, port)
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            if status >= 400:
                bad += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    n = len(latencies)
    return {
        "rps": round(n / elapsed, 1),
        "p50_ms": round(latencies[n // 2] * 1000, 3),
        "p99_ms": round(latencies[min(n - 1, int(n * 0.99))] * 1000, 3),
        "non_2xx": bad,
        "socket_errors": 0,
        "client": "python",
    }


def load(
    url: str, connections: int = 32, seconds: float = 5.0, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    headers = headers or {}
    if shutil.which("wrk"):
        return _wrk(url, connections, seconds, headers)
    return asyncio.run(_py_load(url, connections, seconds, headers))


@contextlib.contextmanager
def database() -> Iterator[str]:
    """A fresh database for one benchmark run: on TEST_DATABASE_URL's server, else embedded."""
    import asyncpg

    from service.embedded import EmbeddedPostgres

    server = os.environ.get("TEST_DATABASE_URL")
    pg = None
    if not server:
        pg = EmbeddedPostgres(Path(f"/tmp/candor-bench-{os.getuid()}"))
        server = pg.start("postgres")
    name = f"candor_bench_{os.urandom(4).hex()}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(server)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        parts = urlsplit(server)
        yield urlunsplit(parts._replace(path="/" + name))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if pg is not None:
            pg.stop()


@contextlib.contextmanager
def redis() -> Iterator[str]:
    """TEST_REDIS_URL, else an embedded Redis for this run."""
    from service.embedded import EmbeddedRedis

    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    server = EmbeddedRedis(Path(f"/tmp/candor-bench-redis-{os.getpid()}"))
    try:
        yield server.start()
    finally:
        server.stop()
