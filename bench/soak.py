"""Soak: a steady mix of submits, trend reads and widget reads for minutes, watching memory.

Brings its own PostgreSQL and Redis (TEST_DATABASE_URL / TEST_REDIS_URL, else embedded), serves
the API with granian exactly as production does and runs a real worker, seeds an org through the
public API (teams, people, a pulse, three closed waves, an open wave, a leader key, a widget
token), then sends requests at a fixed rate (open loop: a slow server cannot slow the load down)
and samples the API's and the worker's resident memory every second.

    uv run python bench/soak.py [--quick] [--seconds N] [--rate R]

Last line: JSON with requests served, 5xx count, p50/p99 per route kind, API and worker RSS at
start (after a warm-up) and end, and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import time
from collections import defaultdict
from typing import Any

import httpx
import psutil
from _load import ROOT, database, redis, serve

SECRET = secrets.token_urlsafe(32)  # a production-strength key, new each run


def tree_rss(pid: int) -> int:
    """Resident memory of a process and its children (granian runs its worker as a child)."""
    try:
        proc = psutil.Process(pid)
        return int(proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(True)))
    except psutil.Error:
        return 0


async def seed(base: str, dsn: str, people: int) -> dict[str, Any]:
    """An org built through the API, with history to read and an open wave to answer."""

    from service.db import connect
    from service.migrate import migrate
    from service.orgs import Floors, create_org
    from service.surveys.pulses.bank import install_builtin_items
    from service.surveys.respond import token_for

    conn = await connect(dsn)
    await migrate(conn)
    async with conn.transaction():
        # The pulse below asks small groups (k 3), which the operator allows with the lowest floors.
        _, key = await create_org(
            conn, "Soak Co", setup=[install_builtin_items], floors=Floors(3, 3)
        )
    admin = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=admin, timeout=60) as c:
        root = (await c.post("/api/v1/teams", json={"name": "Company"})).json()["id"]
        teams = [
            (await c.post("/api/v1/teams", json={"name": f"Team {i}", "parent_id": root})).json()[
                "id"
            ]
            for i in range(4)
        ]
        lines = ["email,display_name,locale,team"]
        for i in range(people):
            lines.append(f"p{i}@soak.test,Person {i},en,Company/Team {i % 4}")
        r = await c.post(
            "/api/v1/people/import",
            content="\n".join(lines).encode(),
            headers={"content-type": "text/csv"},
        )
        assert r.status_code == 200, r.text
        r = await c.post("/api/v1/pulses", json={"name": "Soak pulse", "team_ids": [root], "k": 3})
        assert r.status_code == 201, r.text
        pulse = r.json()["id"]

        async def tokens(wave_id: str) -> list[str]:
            rows = await conn.fetch("SELECT id FROM invitations WHERE wave_id = $1", wave_id)
            return [token_for(SECRET, row["id"]) for row in rows]

        for w in range(3):  # history for the trend and widget reads
            wave = (await c.post(f"/api/v1/pulses/{pulse}/waves")).json()
            for t in (await tokens(wave["id"]))[: int(people * 0.7)]:
                answers = {k: random.randint(3 + w, 7) for k in wave["item_keys"]}
                await c.post(f"/api/v1/respond/{t}", json={"answers": answers})
            await c.post(f"/api/v1/waves/{wave['id']}/close")
        live = (await c.post(f"/api/v1/pulses/{pulse}/waves")).json()
        live_tokens = await tokens(live["id"])
        r = await c.post(
            "/api/v1/keys", json={"name": "lead", "role": "leader", "scope_team_ids": [root]}
        )
        leader = r.json()["key"]
        r = await c.post(
            "/api/v1/widget-tokens",
            json={
                "label": "wall",
                "team_id": root,
                "allowed_origins": ["https://intranet.example"],
            },
        )
        widget = r.json()["token"]
    await conn.close()
    return {
        "root": root,
        "teams": teams,
        "leader": leader,
        "widget": widget,
        "tokens": live_tokens,
        "items": live["item_keys"],
    }


class Conn:
    """One keep-alive HTTP/1.1 connection speaking raw bytes: a load client that costs little CPU,
    so the server, not the client, is what gets measured (httpx needs ~1 ms of CPU a request)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        head += f"Content-Length: {len(body)}\r\n\r\n"
        self.writer.write(head.encode() + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        status = int(raw[9:12])
        lines = raw.lower().split(b"\r\n")
        length = next((int(x[15:]) for x in lines if x.startswith(b"content-length:")), None)
        if length is not None:
            await self.reader.readexactly(length)
        elif any(x.startswith(b"transfer-encoding: chunked") for x in lines):
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def drive(
    base: str,
    world: dict[str, Any],
    seconds: float,
    rate: float,
    pids: dict[str, int],
    warmup: float,
    connections: int = 32,
) -> dict[str, Any]:
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    rss: list[dict[str, float]] = []
    tokens = list(world["tokens"])
    random.shuffle(tokens)
    leader = {"Authorization": f"Bearer {world['leader']}"}
    host, port = base.removeprefix("http://").split(":")
    queue: asyncio.Queue[tuple[float, str] | None] = asyncio.Queue()

    def build(kind: str) -> tuple[str, str, str, dict[str, str], bytes]:
        if kind == "submit" and tokens:
            answers = {k: random.randint(1, 7) for k in world["items"]}
            body = json.dumps({"answers": answers}).encode()
            path = f"/api/v1/respond/{tokens.pop()}"
            return kind, "POST", path, {"Content-Type": "application/json"}, body
        if kind in ("submit", "trend"):
            team = random.choice([world["root"], *world["teams"]])
            return "trend", "GET", f"/api/v1/teams/{team}/trend", leader, b""
        path = random.choice(["/embed/v1/trend.json", "/embed/v1/badge.svg"])
        return kind, "GET", f"{path}?token={world['widget']}", {}, b""

    async def connection() -> None:
        conn = Conn(host, int(port))
        while (item := await queue.get()) is not None:
            due, wanted = item
            kind, method, path, headers, body = build(wanted)
            try:
                code = await asyncio.wait_for(conn.request(method, path, headers, body), 10)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
                code = 599
                conn.close()
            # Latency from when the request was due (open loop: queueing counts).
            latencies[kind].append(time.perf_counter() - due)
            statuses[kind][code] += 1
        conn.close()

    async def sampler(stop: float) -> None:
        while time.perf_counter() < stop:
            rss.append({"t": time.perf_counter(), **{k: tree_rss(p) for k, p in pids.items()}})
            await asyncio.sleep(1.0)

    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    start = time.perf_counter()
    stop = start + seconds
    sampling = asyncio.create_task(sampler(stop))
    n = 0
    while (due := start + n / rate) <= stop:
        now = time.perf_counter()
        if due > now:
            await asyncio.sleep(due - now)
        kind = random.choices(["submit", "trend", "widget"], weights=[2, 4, 4])[0]
        queue.put_nowait((due, kind))
        n += 1
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    await sampling

    def pct(values: list[float], q: float) -> float:
        values = sorted(values)
        return (
            round(values[min(len(values) - 1, int(len(values) * q))] * 1000, 2) if values else 0.0
        )

    after_warmup = [s for s in rss if s["t"] - start >= warmup] or rss
    first, last = after_warmup[0], rss[-1]
    return {
        "requests": sum(sum(s.values()) for s in statuses.values()),
        "errors_5xx": sum(n for s in statuses.values() for code, n in s.items() if code >= 500),
        "status_counts": {k: dict(v) for k, v in statuses.items()},
        "p50_ms": {k: pct(v, 0.5) for k, v in latencies.items()},
        "p99_ms": {k: pct(v, 0.99) for k, v in latencies.items()},
        "api_rss_start_mb": round(first["api"] / 2**20, 1),
        "api_rss_end_mb": round(last["api"] / 2**20, 1),
        "api_rss_ratio": round(last["api"] / first["api"], 3),
        "api_rss_max_mb": round(max(s["api"] for s in rss) / 2**20, 1),
        "worker_rss_start_mb": round(first["worker"] / 2**20, 1),
        "worker_rss_end_mb": round(last["worker"] / 2**20, 1),
        "worker_rss_ratio": round(last["worker"] / first["worker"], 3),
        "rss_samples": len(rss),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="about 45 s in all")
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--rate", type=float, default=150.0, help="requests per second")
    args = parser.parse_args()
    seconds = args.seconds or (30.0 if args.quick else 300.0)
    warmup = 5.0 if args.quick else 20.0
    people = 2000 if args.quick else 20000
    with database() as dsn, redis() as redis_url:
        env = {
            "DATABASE_URL": dsn,
            "REDIS_URL": redis_url,
            "SECRET_KEY": SECRET,
            "CANDOR_ENV": "production",
            "LOG_LEVEL": "WARNING",
            "RATE_LIMIT": "off",  # one client address sends everything; limits are tested elsewhere
            "ARQ_QUEUE": f"candor-soak:{secrets.token_hex(3)}",
            "SMTP_URL": "smtp://127.0.0.1:9",  # mail is not under test; failures are recorded
        }
        asyncio.run(_migrate(dsn))
        with serve("service.app:app_factory", env) as base:
            world = asyncio.run(seed(base, dsn, people))
            worker = subprocess.Popen(
                [sys.executable, "-m", "service.cli", "worker"],
                env={**os.environ, **env},
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                api_pid = _server_pid(base)
                result = asyncio.run(
                    drive(
                        base,
                        world,
                        seconds,
                        args.rate,
                        {"api": api_pid, "worker": worker.pid},
                        warmup,
                    )
                )
            finally:
                worker.terminate()
                worker.wait(30)
    result.update({"bench": "soak", "quick": args.quick, "seconds": seconds, "rate": args.rate})
    print(json.dumps(result))


async def _migrate(dsn: str) -> None:
    from service.db import connect
    from service.migrate import migrate

    conn = await connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()


def _server_pid(base: str) -> int:
    port = int(base.rsplit(":", 1)[1])
    for conn in psutil.net_connections("tcp"):
        if (
            conn.laddr
            and conn.laddr.port == port
            and conn.status == psutil.CONN_LISTEN
            and conn.pid
        ):
            return int(conn.pid)
    raise RuntimeError("cannot find the API process")


if __name__ == "__main__":
    main()
