"""Submit benchmark: respondent submits per second over HTTP beside the raw SQL ceiling.

Seeds one org with a large team and two open waves (one per pulse), then
  - raw:  64 concurrent asyncio tasks doing exactly what a good submit does in the app
          (submit: the comment's rules, then one statement) on an asyncpg pool of the
          app's size, in this process;
  - http: the app served by granian (production flags, service/serve.py) in a subprocess,
          driven by `wrk` (a C client, so the load generator leaves the server its CPU) with 64
          keep-alive connections, each request a JSON submit with a fresh token
          (POST /api/v1/respond/{token}); an asyncio client is the fallback without wrk.
ratio = http submits/s / raw submits/s. Goals: ratio >= 0.75, and the HTTP p99 at most 1.5x the
raw path's p99 at the same concurrency (`p99_vs_raw`).

    uv run python bench/submit.py [--quick]

PostgreSQL comes from TEST_DATABASE_URL (a fresh database is created and dropped) or an embedded
server. The last line of stdout is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _load import database, serve  # noqa: E402

from service.db import _init_connection, connect  # noqa: E402
from service.migrate import migrate  # noqa: E402
from service.orgs import create_org  # noqa: E402
from service.surveys.pulses.bank import builtin_items, install_builtin_items  # noqa: E402
from service.surveys.respond import submit, token_for  # noqa: E402
from service.surveys.waves import open_wave  # noqa: E402

CONNECTIONS = 64
POOL_SIZE = 10  # the app's default DB_POOL_MAX
SECRET = secrets.token_urlsafe(32)  # a production-strength key, new each run

LUA = r"""
local tokens = {}
local issued, answered, stop_after = 0, 0, 0
local body = os.getenv("SUBMIT_BODY")
local marker = nil
init = function(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  stop_after = #tokens - tonumber(args[2])
  marker = args[3]
end
request = function()
  issued = issued + 1
  local token = tokens[((issued - 1) % #tokens) + 1]
  return wrk.format("POST", "/api/v1/respond/" .. token,
                    {["Content-Type"] = "application/json"}, body)
end
response = function(status, headers, body)
  answered = answered + 1
  if answered == stop_after then
    -- Tell the runner we are done (it interrupts wrk, which then reports the real runtime).
    io.open(marker, "w"):close()
    wrk.thread:stop()
  end
end
"""


async def seed(dsn: str, people: int) -> tuple[dict[str, int], list[str], list[str]]:
    """An org, one team of `people`, two pulses with an open wave each; (answers, tokens x2)."""
    conn = await connect(dsn)
    try:
        await migrate(conn)
        async with conn.transaction():
            org_id, _ = await create_org(conn, "Bench Co", setup=[install_builtin_items])
            team_id: UUID = await conn.fetchval(
                "INSERT INTO teams (org_id, name) VALUES ($1, 'Everyone') RETURNING id", org_id
            )
            await conn.execute(
                """
                INSERT INTO people (org_id, email, display_name, team_id)
                SELECT $1, 'p' || g || '@bench.test', 'P ' || g, $2
                FROM generate_series(1, $3) g
                """,
                org_id,
                team_id,
                people,
            )
            items = builtin_items()
            core = [i.key for i in items if i.core]
            rotating = [i.key for i in items if not i.core]
            tokens: list[list[str]] = []
            answers: dict[str, int] = {}
            for name in ("raw", "http"):
                pulse_id = await conn.fetchval(
                    """
                    INSERT INTO pulses (org_id, name, team_ids, core_items, rotating_items,
                                        items_per_wave, cadence, open_days, k)
                    VALUES ($1, $2, $3, $4, $5, 6, 'weekly', 6, 5) RETURNING id
                    """,
                    org_id,
                    name,
                    [team_id],
                    core,
                    rotating,
                )
                wave_id = await open_wave(conn, org_id, pulse_id, secret=SECRET)
                keys = await conn.fetchval("SELECT item_keys FROM waves WHERE id = $1", wave_id)
                answers = {k: 5 for k in keys}  # both waves share the pulse layout
                ids = await conn.fetch(
                    "SELECT id FROM invitations WHERE wave_id = $1 ORDER BY random()", wave_id
                )
                tokens.append([token_for(SECRET, r["id"]) for r in ids])
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return answers, tokens[0], tokens[1]


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))]


async def raw_ceiling(dsn: str, tokens: list[str], answers: dict[str, int]) -> dict[str, Any]:
    pool = await asyncpg.create_pool(
        dsn, min_size=POOL_SIZE, max_size=POOL_SIZE, init=_init_connection
    )
    assert pool is not None
    todo = iter(tokens)
    latencies: list[float] = []
    failed = 0

    async def worker() -> None:
        nonlocal failed
        for token in todo:
            t0 = time.perf_counter()
            async with pool.acquire() as conn:
                ok = (await submit(conn, token, answers, None)).status == "stored"
            latencies.append(time.perf_counter() - t0)
            failed += not ok

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    elapsed = time.perf_counter() - started
    await pool.close()
    latencies.sort()
    return {
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "requests": len(latencies),
        "failed": failed,
    }


def served(dsn: str) -> contextlib.AbstractContextManager[str]:
    """The app under granian with the production flags (bench/_load.py's serve)."""
    env = {
        "DATABASE_URL": dsn,
        "REDIS_URL": "redis://127.0.0.1:1/0",  # submits need no Redis
        # One client address sends everything; per-address limits are tested in the suite.
        "RATE_LIMIT": "off",
        "SECRET_KEY": SECRET,
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "json",
        "DB_POOL_MAX": str(POOL_SIZE),
        "CANDOR_ENV": "production",
    }
    return serve("service.app:app_factory", env)


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise RuntimeError(f"unexpected wrk latency {text!r}")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1e3, "m": 6e4, "h": 3.6e6}[unit]


def http_wrk(base: str, tokens: list[str], answers: dict[str, int]) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="csb-wrk-"))
    (folder / "tokens.txt").write_text("\n".join(tokens) + "\n")
    (folder / "submit.lua").write_text(LUA)
    body = json.dumps({"answers": answers})
    argv = ["wrk", "-t", "1", "-c", str(CONNECTIONS), "-d", "120s", "--latency"]
    argv += ["-s", str(folder / "submit.lua"), base, "--", str(folder / "tokens.txt")]
    marker = folder / "done"
    argv += [str(CONNECTIONS), str(marker)]
    # wrk sleeps for its whole -d even when every thread stopped; SIGINT ends the sleep and
    # it then reports the real elapsed time.
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SUBMIT_BODY": body},
    )
    while proc.poll() is None and not marker.exists():
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    if "requests in" not in out or "50%" not in out:
        raise RuntimeError(f"wrk failed: {err or out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rps": round(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), 1),  # type: ignore[union-attr]
        "p50_ms": round(_ms(re.search(r"50%\s+(\S+)", out).group(1)), 2),  # type: ignore[union-attr]
        "p99_ms": round(_ms(re.search(r"99%\s+(\S+)", out).group(1)), 2),  # type: ignore[union-attr]
        "requests": requests,
        "failed": int(bad.group(1)) if bad else 0,
        "client": "wrk",
    }


async def http_python(base: str, tokens: list[str], answers: dict[str, int]) -> dict[str, Any]:
    """Fallback load generator: raw HTTP/1.1 keep-alive over asyncio streams (no wrk)."""
    m = re.match(r"http://([^/:]+):(\d+)", base)
    assert m
    host, port = m.group(1), int(m.group(2))
    body = json.dumps({"answers": answers}).encode()
    todo = iter(tokens)
    latencies: list[float] = []
    failed = 0

    async def worker() -> None:
        nonlocal failed
        reader, writer = await asyncio.open_connection(host, port)
        for token in todo:
            t0 = time.perf_counter()
            writer.write(
                f"POST /api/v1/respond/{token} HTTP/1.1\r\nHost: {host}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            failed += int(head[9:12]) != 201
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "requests": len(latencies),
        "failed": failed,
        "client": "python",
    }


async def stored_ballots(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM ballots"))
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (< 1 minute)")
    args = parser.parse_args()
    per_wave = 12_000 if args.quick else 40_000
    with database() as dsn:
        answers, raw_tokens, http_tokens = asyncio.run(seed(dsn, per_wave))
        raw = asyncio.run(raw_ceiling(dsn, raw_tokens, answers))
        print(f"raw asyncpg: {raw}", flush=True)
        with served(dsn) as base:
            if shutil.which("wrk"):
                http = http_wrk(base, http_tokens, answers)
            else:
                http = asyncio.run(http_python(base, http_tokens, answers))
        print(f"http (granian, 1 worker): {http}", flush=True)
        ballots = asyncio.run(stored_ballots(dsn))
    ratio = round(http["rps"] / raw["rps"], 3)
    result = {
        "bench": "submit",
        "quick": args.quick,
        "connections": CONNECTIONS,
        "db_pool": POOL_SIZE,
        "cpus": os.cpu_count(),
        # Other work on the machine moves these figures; the ratio is measured side by side.
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "http_submits_per_s": http["rps"],
        "http_p50_ms": http["p50_ms"],
        "http_p99_ms": http["p99_ms"],
        "http_failed": http["failed"],
        "raw_submits_per_s": raw["rps"],
        "raw_p50_ms": raw["p50_ms"],
        "raw_p99_ms": raw["p99_ms"],
        "raw_failed": raw["failed"],
        "ballots_stored": ballots,
        "ratio": ratio,
        "p99_vs_raw": round(http["p99_ms"] / raw["p99_ms"], 3),
        "goal": {"ratio": 0.75, "p99_vs_raw": 1.5},
        "goal_met": ratio >= 0.75 and http["p99_ms"] <= 1.5 * raw["p99_ms"],
        "client": http["client"],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
