"""Leader reads at two org sizes: a team's trend over 104 waves and a 50-team subtree's heatmap.

This benchmark measures READS, so it writes the rollup rows directly instead of loading
responses and rolling each wave up (a close is measured by bench/close.py): per org a 4-level
team tree (COPY), 104 closed weekly waves, their frozen `wave_teams`, and `wave_groups` /
`wave_cells` generated server-side with `generate_series`-style `INSERT ... SELECT` (one
statement per wave and table, two connections at a time). Each wave asks seven items, one per
dimension (the four built-in dimensions and three org dimensions), so every group has 14 cells
(7 dimensions + 7 items) in both scopes: 5,000 teams x 104 waves give about 14.6 M `wave_cells`
rows and 1 M `wave_groups` rows. The counts follow a realistic spread (8-24 people per team,
55-90% answering; cells under k = 5 marked hidden 'few'); complements are not planned, since
reads cost the same either way, and subtree counts are per-team sizes summed up the tree.

The large org is loaded as a bulk load would be: the rollup tables' primary keys and indexes
are dropped first and rebuilt afterwards from their exact definitions (read from the catalog),
and the per-row foreign-key triggers are skipped (`session_replication_role = replica`, as
pg_restore does); the small org is loaded with every index and trigger in place.

Phase 1 loads the small org and measures; phase 2 adds the large org to the same database and
measures it, then the small org again ("small_after": what a neighbour's bulk does to a small
org's reads). Latencies are sequential keep-alive requests over HTTP against the app served by
granian exactly as in production:
  - trend: `GET /api/v1/teams/{team}/trend` (the default: the latest 12 waves, what a leader's
    page and the widgets ask for) for random teams of every level, admin key;
  - trend_104: the same with `?waves=104`, every wave of the history (7 series x 104 points);
  - heatmap: `GET /api/v1/waves/{wave}/heatmap` for random waves with a leader key scoped to a
    random department (its subtree: 50 teams, so 50 rows x 7 dimensions).

    uv run python bench/trends.py            # 200 vs 5,000 teams, 104 waves (~14.6 M cells)
    uv run python bench/trends.py --quick    # 20 vs 80 teams, 104 waves (< 1 min)

Goals: trend p99 <= 20 ms, heatmap p99 <= 50 ms at the large size, and each p99 within 1.5x of
the small org's in the same run (trend_104 is reported beside them, see docs/benchmarks.md).
PostgreSQL comes from TEST_DATABASE_URL (a fresh database is created and dropped) or an
embedded server. The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
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
from uuid import UUID

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _load import database, serve  # noqa: E402
from _synth import Tree, new_org, team_tree  # noqa: E402

from service.auth import create_key  # noqa: E402
from service.db import connect  # noqa: E402
from service.migrate import migrate  # noqa: E402
from service.surveys.pulses import builtin_items  # noqa: E402

WAVES = 104
K = 5
# Three org dimensions beside the four built-in ones, one core item each.
ORG_DIMENSIONS = ("clarity", "wellbeing", "autonomy")

# Per team: its own people ('team' scope), everyone below it ('subtree'), and a lean of its
# scores. Filled by COPY, then read by the per-wave statements below.
SIZES_TABLE = """
CREATE UNLOGGED TABLE IF NOT EXISTS bench_sizes (
    org_id uuid, team_id uuid, scope text, people int, lean float8
)
"""

WAVE_TEAMS = """
INSERT INTO wave_teams (org_id, wave_id, team_id, parent_id, name, invited)
SELECT t.org_id, $2, t.id, t.parent_id, t.name, s.people
FROM teams t JOIN bench_sizes s ON s.org_id = t.org_id AND s.team_id = t.id AND s.scope = 'team'
WHERE t.org_id = $1
"""

# One statement per wave for both rollup tables: the groups (respondents: 55-90% of the
# people, drawn per group and wave), and from the rows just written (RETURNING, so the bulk
# load never scans wave_groups) one cell per group and key ($4 keys, $5 kinds) with plausible
# sums for a 1-7 scale around the team's lean; an item cell may have one answer fewer than its
# group has respondents.
ROLLUPS = """
WITH g AS (
    INSERT INTO wave_groups (org_id, wave_id, team_id, scope, invited, responded, n, comments,
                             hidden, comments_hidden)
    SELECT org_id, $2, team_id, scope, people, n, n, n / 4,
           CASE WHEN n < $3 THEN 'few' END, CASE WHEN n / 4 < 2 * $3 THEN 'few' END
    FROM (SELECT org_id, team_id, scope, people,
                 round(people * (0.55 + 0.35 * random()))::int AS n
          FROM bench_sizes WHERE org_id = $1) s
    RETURNING org_id, wave_id, team_id, scope, n, hidden
)
INSERT INTO wave_cells (org_id, wave_id, team_id, scope, kind, key, n, sum_raw, sumsq_raw,
                        sum100, sumsq100, favourable, hist, scale_min, scale_max, hidden)
SELECT g.org_id, g.wave_id, g.team_id, g.scope, k.kind, k.key, c.n,
       c.n * c.m, c.n * (c.m * c.m + 1.4),
       c.n * (c.m - 1) / 6 * 100, c.n * (((c.m - 1) / 6 * 100) ^ 2 + 390),
       round(c.n * greatest(0, least(1, (c.m - 3.5) / 3)))::int,
       CASE WHEN k.kind = 'item'
            THEN ARRAY[c.n / 20, c.n / 20, c.n / 10, c.n / 5, c.n / 4, c.n / 5,
                       c.n - c.n / 20 * 2 - c.n / 10 - c.n / 5 * 2 - c.n / 4]
            ELSE ARRAY[c.n / 20, c.n / 10, c.n / 4, c.n / 3,
                       c.n - c.n / 20 - c.n / 10 - c.n / 4 - c.n / 3] END,
       1, 7,
       CASE WHEN g.hidden IS NOT NULL OR c.n < $3 THEN coalesce(g.hidden, 'few') END
FROM g
JOIN bench_sizes s ON s.org_id = g.org_id AND s.team_id = g.team_id AND s.scope = g.scope
CROSS JOIN unnest($4::text[], $5::text[]) AS k (key, kind)
CROSS JOIN LATERAL (
    SELECT CASE WHEN k.kind = 'item' AND g.n > 0 THEN g.n - (random() < 0.1)::int ELSE g.n END
               AS n,
           4.6 + s.lean + 0.6 * (random() - 0.5) AS m
) c
"""


# The rollup tables' secondary indexes and primary keys, exactly as the migrations made them.
INDEX_DEFS = """
SELECT c.conrelid::regclass::text AS tbl, c.conname AS name, pg_get_constraintdef(c.oid) AS def,
       true AS is_constraint
FROM pg_constraint c
WHERE c.conrelid IN ('wave_cells'::regclass, 'wave_groups'::regclass) AND c.contype = 'p'
UNION ALL
SELECT i.tablename, i.indexname, i.indexdef, false
FROM pg_indexes i
WHERE i.tablename IN ('wave_cells', 'wave_groups') AND i.indexname NOT LIKE '%_pkey'
"""


async def drop_rollup_indexes(conn: Any) -> list[Any]:
    """For a bulk load: drop the rollup tables' indexes (rebuilt by `restore_rollup_indexes`)."""
    defs = list(await conn.fetch(INDEX_DEFS))
    for d in defs:
        if d["is_constraint"]:
            await conn.execute(f'ALTER TABLE {d["tbl"]} DROP CONSTRAINT "{d["name"]}"')
        else:
            await conn.execute(f'DROP INDEX "{d["name"]}"')
    return defs


async def restore_rollup_indexes(conn: Any, defs: list[Any]) -> None:
    await conn.execute("SET maintenance_work_mem = '1GB'")
    for d in defs:
        if d["is_constraint"]:
            await conn.execute(f'ALTER TABLE {d["tbl"]} ADD CONSTRAINT "{d["name"]}" {d["def"]}')
        else:
            await conn.execute(d["def"])


def sizes(tree: Tree, rng: random.Random) -> dict[UUID, dict[str, Any]]:
    """People per team (leaves 8-24, managers' own teams 1-3) and per subtree."""
    own = {t: rng.randint(8, 24) if t in set(tree.leaves) else rng.randint(1, 3) for t in tree.ids}
    below: dict[UUID, int] = {}
    for t in reversed(tree.ids):  # children come after their parents
        below[t] = own[t] + sum(below[c] for c in tree.children.get(t, ()))
    return {t: {"own": own[t], "sub": below[t], "lean": rng.gauss(0, 0.5)} for t in tree.ids}


async def load_org(
    dsn: str, name: str, n_teams: int, seed: int, bulk: bool = False
) -> dict[str, Any]:
    rng = random.Random(seed)
    t0 = time.perf_counter()
    conn = await connect(dsn)
    try:
        tree = team_tree(n_teams)
        org_id, admin_key = await new_org(conn, name, tree)
        builtin = {i.dimension: i.key for i in builtin_items() if i.core}
        await conn.executemany(
            """
            INSERT INTO items (org_id, key, dimension, texts, source)
            VALUES ($1, $2, $3, '{"en": "A statement about the team."}', 'org')
            """,
            [(org_id, f"{d}.core", d) for d in ORG_DIMENSIONS],
        )
        dims = sorted([*builtin, *ORG_DIMENSIONS])
        items = sorted([*builtin.values(), *(f"{d}.core" for d in ORG_DIMENSIONS)])
        pulse_id = await conn.fetchval(
            """
            INSERT INTO pulses (org_id, name, team_ids, core_items, items_per_wave, cadence,
                                open_days, k, comment_k)
            VALUES ($1, 'Weekly pulse', $2, $3, 7, 'weekly', 5, $4, 10) RETURNING id
            """,
            org_id,
            [tree.ids[0]],
            items,
            K,
        )
        start = datetime.now(UTC) - timedelta(weeks=WAVES + 1)
        waves = [uuid.uuid4() for _ in range(WAVES)]
        await conn.copy_records_to_table(
            "waves",
            records=[
                (
                    org_id,
                    w,
                    pulse_id,
                    i + 1,
                    items,
                    K,
                    10,
                    start + timedelta(weeks=i),
                    start + timedelta(weeks=i, days=5),
                    "closed",
                    start + timedelta(weeks=i, days=5),
                )
                for i, w in enumerate(waves)
            ],
            columns=[
                "org_id",
                "id",
                "pulse_id",
                "seq",
                "item_keys",
                "k",
                "comment_k",
                "opens_at",
                "closes_at",
                "state",
                "closed_at",
            ],
        )
        per_team = sizes(tree, rng)
        await conn.execute(SIZES_TABLE)
        records = []
        for t in tree.ids:
            s = per_team[t]
            records.append((org_id, t, "team", s["own"], s["lean"]))
            records.append((org_id, t, "subtree", s["sub"], s["lean"]))
        await conn.copy_records_to_table(
            "bench_sizes",
            records=records,
            columns=["org_id", "team_id", "scope", "people", "lean"],
        )
        await conn.execute("ANALYZE bench_sizes")
        leader_keys = []
        for dept in rng.sample(tree.departments, min(20, len(tree.departments))):
            _, key = await create_key(conn, org_id, "leader", "leader", [dept])
            leader_keys.append(key)
    finally:
        await conn.close()

    keys = [*items, *dims]
    kinds = ["item"] * len(items) + ["dimension"] * len(dims)
    todo = list(waves)

    async def writer() -> None:
        c = await connect(dsn)
        # A bulk load skips the per-row foreign-key triggers (as pg_restore does); every row
        # points at a wave written above.
        if bulk:
            await c.execute("SET session_replication_role = replica")
        try:
            while todo:
                wave_id = todo.pop()
                async with c.transaction():
                    await c.execute(WAVE_TEAMS, org_id, wave_id)
                    await c.execute(ROLLUPS, org_id, wave_id, K, keys, kinds)
        finally:
            await c.close()

    t1 = time.perf_counter()
    conn = await connect(dsn)
    try:
        defs = await drop_rollup_indexes(conn) if bulk else []
        await asyncio.gather(writer(), writer())
        await restore_rollup_indexes(conn, defs)
        rollups_s = time.perf_counter() - t1
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return {
        "org_id": org_id,
        "admin_key": admin_key,
        "leader_keys": leader_keys,
        "teams": tree.ids,
        "departments": tree.departments,
        "waves": waves,
        "n_teams": len(tree.ids),
        "load_s": round(time.perf_counter() - t0, 1),
        "rollup_rows_s": round(rollups_s, 1),
        "bulk": bulk,
    }


def timings(base: str, requests: list[tuple[str, str]], warm: int) -> dict[str, float]:
    """Sequential keep-alive GETs of (path, key); p50/p99 in milliseconds."""
    host = urlsplit(base)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    lat: list[float] = []
    for i, (path, key) in enumerate(requests):
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {key}"})
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


def measure(
    base: str, org: dict[str, Any], n: int, rng: random.Random, warm: int = 30
) -> dict[str, Any]:
    trend = [
        (f"/api/v1/teams/{rng.choice(org['teams'])}/trend", org["admin_key"])
        for _ in range(n + warm)
    ]
    trend_all = [
        (f"/api/v1/teams/{rng.choice(org['teams'])}/trend?waves={WAVES}", org["admin_key"])
        for _ in range(n // 2 + warm)
    ]
    heat = [
        (f"/api/v1/waves/{rng.choice(org['waves'])}/heatmap", rng.choice(org["leader_keys"]))
        for _ in range(n + warm)
    ]
    return {
        "trend": timings(base, trend, warm),
        "heatmap": timings(base, heat, warm),
        "trend_104": timings(base, trend_all, warm),
    }


async def table_rows(dsn: str) -> dict[str, int]:
    conn = await connect(dsn)
    try:
        return {
            t: await conn.fetchval(f"SELECT count(*) FROM {t}")
            for t in ("wave_teams", "wave_groups", "wave_cells")
        }
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 vs 80 teams (< 1 min)")
    parser.add_argument("--teams", type=int, help="override the large org's number of teams")
    args = parser.parse_args()
    small_teams, large_teams, n = (20, 80, 50) if args.quick else (200, 5_000, 1_000)
    warm = 5 if args.quick else 30
    large_teams = args.teams or large_teams
    rng = random.Random(5)
    env = {
        "CANDOR_ENV": "test",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "json",
        "RATE_LIMIT": "off",
    }
    with database() as dsn:
        env["DATABASE_URL"] = dsn

        async def prepare() -> None:
            conn = await connect(dsn)
            try:
                await migrate(conn)
            finally:
                await conn.close()

        asyncio.run(prepare())
        orgs = {"small": asyncio.run(load_org(dsn, "Small Co", small_teams, 1))}
        print("loaded small", {k: orgs["small"][k] for k in ("n_teams", "load_s")}, flush=True)
        results: dict[str, Any] = {}
        with serve("service.app:app_factory", env) as base:
            results["small"] = measure(base, orgs["small"], n, rng, warm)
        print("small", results["small"], flush=True)
        orgs["large"] = asyncio.run(load_org(dsn, "Large Co", large_teams, 2, bulk=True))
        print(
            "loaded large",
            {k: orgs["large"][k] for k in ("n_teams", "load_s", "rollup_rows_s")},
            flush=True,
        )
        with serve("service.app:app_factory", env) as base:
            results["large"] = measure(base, orgs["large"], n, rng, warm)
            print("large", results["large"], flush=True)
            results["small_after"] = measure(base, orgs["small"], n, rng, warm)
            print("small_after", results["small_after"], flush=True)
        rows = asyncio.run(table_rows(dsn))

    growth = {
        ep: round(results["large"][ep]["p99_ms"] / results["small"][ep]["p99_ms"], 3)
        for ep in ("trend", "heatmap")
    }
    goal = {"trend_p99_ms": 20, "heatmap_p99_ms": 50, "p99_growth": 1.5}
    summary = {
        "bench": "trends",
        "quick": args.quick,
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "teams": {"small": orgs["small"]["n_teams"], "large": orgs["large"]["n_teams"]},
        "waves": WAVES,
        "rows": rows,
        "load_s": {s: orgs[s]["load_s"] for s in orgs},
        "rollup_rows_s": {s: orgs[s]["rollup_rows_s"] for s in orgs},
        "trend_p50_ms": {s: results[s]["trend"]["p50_ms"] for s in results},
        "trend_p99_ms": {s: results[s]["trend"]["p99_ms"] for s in results},
        "heatmap_p50_ms": {s: results[s]["heatmap"]["p50_ms"] for s in results},
        "heatmap_p99_ms": {s: results[s]["heatmap"]["p99_ms"] for s in results},
        "trend_104_p50_ms": {s: results[s]["trend_104"]["p50_ms"] for s in results},
        "trend_104_p99_ms": {s: results[s]["trend_104"]["p99_ms"] for s in results},
        "p99_growth": growth,
        # The small org measured again after the large one, in the same server and minutes:
        # on a shared machine the fairer comparison for the large org's tail.
        "p99_growth_vs_small_after": {
            ep: round(results["large"][ep]["p99_ms"] / results["small_after"][ep]["p99_ms"], 3)
            for ep in ("trend", "heatmap", "trend_104")
        },
        "requests_each": n,
        "goal": goal,
        "goal_met": results["large"]["trend"]["p99_ms"] <= goal["trend_p99_ms"]
        and results["large"]["heatmap"]["p99_ms"] <= goal["heatmap_p99_ms"]
        and max(growth.values()) <= goal["p99_growth"],
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
