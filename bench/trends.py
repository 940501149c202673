"""Leader reads at two data sizes: team trend over 52 waves and one wave's heatmap.

Loads a synthetic org (a 4-level tree of teams, 52 closed waves) with COPY: teams, waves, the
frozen wave trees and the responses; then rolls every wave up with the real `rollup_wave`, as a
close would. Phase 1 loads the small data set and measures; phase 2 adds the large one in the
same database and measures again. Latencies are per request, sequential, over HTTP against the
app served by granian exactly as in production.

    uv run python bench/trends.py            # 2,000 teams; 100,000 then 10,000,000 responses
    uv run python bench/trends.py --quick    # 40 teams; 5,000 then 60,000 responses (< 1 min)

Still 52 waves in --quick (the trend reads 52 points); fewer teams keep its 104 rollups short.

PostgreSQL comes from TEST_DATABASE_URL (a fresh database is created and dropped) or an
embedded server. The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import io
import json
import random
import secrets
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _load import database  # noqa: E402

from bench._load import serve  # noqa: E402
from service.analytics.rollup import rollup_wave  # noqa: E402
from service.auth import create_key  # noqa: E402
from service.db import connect  # noqa: E402
from service.migrate import migrate  # noqa: E402
from service.surveys.pulses import items_for_wave  # noqa: E402
from service.surveys.pulses.bank import builtin_items, install_builtin_items  # noqa: E402

WAVES = 52
START = datetime(2025, 1, 6, 9, tzinfo=UTC)


def team_tree(n_teams: int, rng: random.Random) -> list[tuple[uuid.UUID, uuid.UUID | None, str]]:
    """Root -> divisions -> departments -> teams, about n_teams in all."""
    root = uuid.uuid4()
    teams: list[tuple[uuid.UUID, uuid.UUID | None, str]] = [(root, None, "Company")]
    divisions = max(2, round(n_teams ** (1 / 3) / 1.3))
    departments = divisions * divisions
    div_ids = [uuid.uuid4() for _ in range(divisions)]
    teams += [(d, root, f"Division {i}") for i, d in enumerate(div_ids)]
    dep_ids = [uuid.uuid4() for _ in range(departments)]
    teams += [(d, div_ids[i % divisions], f"Department {i}") for i, d in enumerate(dep_ids)]
    i = 0
    while len(teams) < n_teams:
        teams.append((uuid.uuid4(), dep_ids[i % departments], f"Team {i}"))
        i += 1
    return teams  # parents before children, as COPY into teams needs


async def load_org(
    conn: asyncpg.Connection, name: str, n_teams: int, n_responses: int, seed: int
) -> dict[str, Any]:
    rng = random.Random(seed)
    t0 = time.perf_counter()
    org_id = await conn.fetchval("INSERT INTO orgs (name) VALUES ($1) RETURNING id", name)
    await install_builtin_items(conn, org_id)
    _, key = await create_key(conn, org_id, "bench", "admin")
    teams = team_tree(n_teams, rng)
    await conn.copy_records_to_table(
        "teams",
        records=[(org_id, t, p, nm) for t, p, nm in teams],
        columns=["org_id", "id", "parent_id", "name"],
    )
    parents = {p for _, p, _ in teams if p}
    leaves = [t for t, _, _ in teams if t not in parents]
    weight = {t: rng.lognormvariate(0, 0.9) for t in leaves}
    total_w = sum(weight.values())
    base = {t: rng.gauss(4.8, 0.6) for t in leaves}
    drift = {t: rng.choice([-0.02, 0.0, 0.0, 0.02]) for t in leaves}
    bank = {i.key: i for i in builtin_items()}
    core = [i.key for i in builtin_items() if i.core]
    rotating = [i.key for i in builtin_items() if not i.core]
    pulse = {"core_items": core, "rotating_items": rotating, "items_per_wave": len(core) + 1}
    pulse_id = await conn.fetchval(
        """
        INSERT INTO pulses (org_id, name, team_ids, core_items, rotating_items, items_per_wave,
                            cadence, open_days, starts_at)
        VALUES ($1, 'Weekly pulse', $2, $3, $4, $5, 'weekly', 5, $6) RETURNING id
        """,
        org_id,
        [teams[0][0]],
        core,
        rotating,
        len(core) + 1,
        START,
    )
    per_wave = n_responses // WAVES
    loaded = 0
    rollup_s = 0.0
    for w in range(WAVES):
        keys = items_for_wave(pulse, w + 1)
        opens = START + timedelta(weeks=w)
        wave_id = await conn.fetchval(
            """
            INSERT INTO waves (org_id, pulse_id, seq, item_keys, k, comment_k, opens_at, closes_at,
                               state, closed_at)
            VALUES ($1, $2, $3, $4, 5, 10, $5, $6, 'closed', $6) RETURNING id
            """,
            org_id,
            pulse_id,
            w + 1,
            keys,
            opens,
            opens + timedelta(days=5),
        )
        counts = {t: round(per_wave * weight[t] / total_w) for t in leaves}
        await conn.copy_records_to_table(
            "wave_teams",
            records=[
                (org_id, wave_id, t, p, nm, int(counts.get(t, 0) * 1.25)) for t, p, nm in teams
            ],
            columns=["org_id", "wave_id", "team_id", "parent_id", "name", "invited"],
        )
        buf = io.StringIO()
        prefix = f"{org_id},{wave_id},"
        for t in leaves:
            mean = base[t] + drift[t] * w
            for _ in range(counts[t]):
                parts = []
                for k in keys:
                    v = min(7, max(1, round(rng.gauss(mean, 1.2))))
                    item = bank[k]
                    if item.reverse:
                        v = 8 - v
                    parts.append(f'""{k}"": {v}')
                buf.write(f'{prefix}{t},"{{{", ".join(parts)}}}"\n')
                loaded += 1
        data = buf.getvalue().encode()
        await conn.copy_to_table(
            "responses",
            source=io.BytesIO(data),
            columns=["org_id", "wave_id", "team_id", "answers"],
            format="csv",
        )
        r0 = time.perf_counter()
        async with conn.transaction():
            await rollup_wave(conn, org_id, wave_id)
        rollup_s += time.perf_counter() - r0
    await conn.execute("ANALYZE")
    waves = [r["id"] for r in await conn.fetch("SELECT id FROM waves WHERE org_id = $1", org_id)]
    return {
        "org_id": org_id,
        "key": key,
        "leaves": leaves,
        "waves": waves,
        "responses": loaded,
        "load_s": round(time.perf_counter() - t0, 1),
        "rollup_s_per_wave": round(rollup_s / WAVES, 3),
    }


def timings(base: str, paths: list[str], key: str, warm: int) -> dict[str, float]:
    """Sequential keep-alive GETs; p50/p99 in milliseconds."""
    host = urlsplit(base)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    headers = {"Authorization": f"Bearer {key}"}
    lat: list[float] = []
    for i, path in enumerate(paths):
        t0 = time.perf_counter()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{path}: {resp.status} {body[:200]!r}")
        if i >= warm:
            lat.append((time.perf_counter() - t0) * 1000)
    conn.close()
    lat.sort()
    return {
        "p50_ms": round(statistics.median(lat), 2),
        "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 2),
        "requests": len(lat),
    }


def measure(base: str, org: dict[str, Any], n: int, rng: random.Random) -> dict[str, Any]:
    warm = 30
    trend = [
        f"/api/v1/teams/{rng.choice(org['leaves'])}/trend?waves={WAVES}" for _ in range(n + warm)
    ]
    heat = [f"/api/v1/waves/{rng.choice(org['waves'])}/heatmap" for _ in range(n + warm)]
    return {
        "trend": timings(base, trend, org["key"], warm),
        "heatmap": timings(base, heat, org["key"], warm),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (40 teams)")
    parser.add_argument("--teams", type=int, help="override the number of teams")
    parser.add_argument("--small", type=int, help="override the small number of responses")
    parser.add_argument("--large", type=int, help="override the large number of responses")
    args = parser.parse_args()
    n_teams, small, large, n = (
        (40, 5_000, 60_000, 200) if args.quick else (2_000, 100_000, 10_000_000, 600)
    )
    n_teams, small, large = args.teams or n_teams, args.small or small, args.large or large
    rng = random.Random(5)
    with database() as dsn:

        async def prepare() -> None:
            conn = await connect(dsn)
            try:
                await migrate(conn)
            finally:
                await conn.close()

        async def load(name: str, size: int, seed: int) -> dict[str, Any]:
            conn = await connect(dsn)
            try:
                return await load_org(conn, name, n_teams, size, seed)
            finally:
                await conn.close()

        asyncio.run(prepare())
        env = {
            "CANDOR_ENV": "test",
            "DATABASE_URL": dsn,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "json",
            "RATE_LIMIT": "off",
        }
        orgs = {"small": asyncio.run(load("Small Co", small, 1))}
        print(
            "loaded small",
            {
                k: v
                for k, v in orgs["small"].items()
                if k in ("responses", "load_s", "rollup_s_per_wave")
            },
            flush=True,
        )
        results: dict[str, Any] = {}
        with serve("service.app:app_factory", env) as base:
            results["small"] = measure(base, orgs["small"], n, rng)
        print("small", results["small"], flush=True)
        orgs["large"] = asyncio.run(load("Large Co", large, 2))
        print(
            "loaded large",
            {
                k: v
                for k, v in orgs["large"].items()
                if k in ("responses", "load_s", "rollup_s_per_wave")
            },
            flush=True,
        )
        with serve("service.app:app_factory", env) as base:
            results["large"] = measure(base, orgs["large"], n, rng)
        print("large", results["large"], flush=True)

        async def raw_rows() -> dict[str, int]:
            conn = await connect(dsn)
            try:
                return {
                    t: await conn.fetchval(f"SELECT count(*) FROM {t}")
                    for t in ("responses", "wave_cells", "wave_groups")
                }
            finally:
                await conn.close()

        rows = asyncio.run(raw_rows())

    growth = {
        ep: round(results["large"][ep]["p50_ms"] / results["small"][ep]["p50_ms"], 3)
        for ep in ("trend", "heatmap")
    }
    summary = {
        "bench": "trends",
        "quick": args.quick,
        "teams": n_teams,
        "waves": WAVES,
        "responses": {"small": orgs["small"]["responses"], "large": orgs["large"]["responses"]},
        "rows": rows,
        "rollup_s_per_wave": {s: orgs[s]["rollup_s_per_wave"] for s in orgs},
        "trend_p50_ms": {s: results[s]["trend"]["p50_ms"] for s in results},
        "trend_p99_ms": {s: results[s]["trend"]["p99_ms"] for s in results},
        "heatmap_p50_ms": {s: results[s]["heatmap"]["p50_ms"] for s in results},
        "heatmap_p99_ms": {s: results[s]["heatmap"]["p99_ms"] for s in results},
        "growth": growth,
        "goal": {"trend_p99_ms": 20, "heatmap_p99_ms": 100, "growth": 1.5},
        "goal_met": results["large"]["trend"]["p99_ms"] <= 20
        and results["large"]["heatmap"]["p99_ms"] <= 100
        and max(growth.values()) <= 1.5,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
