"""Console pages against the JSON trend route: p99 of the team page and the heatmap page.

Two data sets in one database: the demo org (`candor dev`'s, eight rounds, a Product lead), and
a large synthetic org shaped like the trends benchmark's (a 4-level tree, 52 closed weekly
waves; responses made by generate_series in SQL, then rolled up with the real `rollup_wave`).
For each, a leader of one subtree is signed in (a console session) and given a leader API key
of the same scope; sequential keep-alive GETs time the JSON trend route, the team page and the
heatmap page in the same run, against the app served by granian as in production.

    uv run python bench/console.py            # large set: 2,000 teams, 10,000,000 responses
    uv run python bench/console.py --quick    # large set: 40 teams, 60,000 responses

Goal: each page's p99 at most 2x the JSON trend route's. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._load import database, serve  # noqa: E402
from service.analytics.rollup import rollup_wave  # noqa: E402
from service.auth import create_key  # noqa: E402
from service.console.sessions import COOKIE, start_session  # noqa: E402
from service.db import connect  # noqa: E402
from service.demo import seed_console_roles, seed_history  # noqa: E402
from service.migrate import migrate  # noqa: E402
from service.orgs import create_org  # noqa: E402
from service.surveys.pulses.bank import builtin_items, install_builtin_items  # noqa: E402

WAVES = 52
START = datetime(2025, 1, 6, 9, tzinfo=UTC)
SECRET = secrets.token_urlsafe(32)

RESPONSES = """
INSERT INTO responses (org_id, wave_id, team_id, answers)
SELECT $1, $2, c.team_id,
       (SELECT jsonb_object_agg(k, least(7, greatest(1,
               round(c.mean + g * 0 + (random() + random() + random() - 1.5) * 1.6)))::int)
        FROM unnest($5::text[]) AS k)
FROM unnest($3::uuid[], $4::int[], $6::float8[]) AS c(team_id, n, mean)
CROSS JOIN LATERAL generate_series(1, c.n) AS g
"""


async def load_large(conn: Any, n_teams: int, n_responses: int) -> dict[str, Any]:
    rng = random.Random(7)
    t0 = time.perf_counter()
    org_id, _ = await create_org(conn, "Large Co", setup=[install_builtin_items])
    root = uuid.uuid4()
    teams = [(root, None, "Company")]
    divisions = [uuid.uuid4() for _ in range(max(2, round(n_teams ** (1 / 3) / 1.3)))]
    teams += [(d, root, f"Division {i}") for i, d in enumerate(divisions)]
    departments = [uuid.uuid4() for _ in range(len(divisions) ** 2)]
    teams += [
        (d, divisions[i % len(divisions)], f"Department {i}") for i, d in enumerate(departments)
    ]
    i = 0
    while len(teams) < n_teams:
        teams.append((uuid.uuid4(), departments[i % len(departments)], f"Team {i}"))
        i += 1
    await conn.copy_records_to_table(
        "teams",
        records=[(org_id, t, p, n) for t, p, n in teams],
        columns=["org_id", "id", "parent_id", "name"],
    )
    parents = {p for _, p, _ in teams if p}
    leaves = [t for t, _, _ in teams if t not in parents]
    weight = {t: rng.lognormvariate(0, 0.9) for t in leaves}
    total = sum(weight.values())
    base = {t: rng.gauss(4.8, 0.6) for t in leaves}
    core = [i.key for i in builtin_items() if i.core]
    pulse_id = await conn.fetchval(
        """INSERT INTO pulses (org_id, name, team_ids, core_items, items_per_wave, cadence,
                               open_days, starts_at)
           VALUES ($1, 'Weekly pulse', $2, $3, $4, 'weekly', 5, $5) RETURNING id""",
        org_id,
        [root],
        core,
        len(core),
        START,
    )
    per_wave = n_responses // WAVES
    for w in range(WAVES):
        opens = START + timedelta(weeks=w)
        wave_id = await conn.fetchval(
            """INSERT INTO waves (org_id, pulse_id, seq, item_keys, k, comment_k, opens_at,
                                  closes_at, state, closed_at)
               VALUES ($1, $2, $3, $4, 5, 10, $5, $6, 'closed', $6) RETURNING id""",
            org_id,
            pulse_id,
            w + 1,
            core,
            opens,
            opens + timedelta(days=5),
        )
        counts = {t: round(per_wave * weight[t] / total) for t in leaves}
        await conn.copy_records_to_table(
            "wave_teams",
            records=[(org_id, wave_id, t, p, n, int(counts.get(t, 0) * 1.25)) for t, p, n in teams],
            columns=["org_id", "wave_id", "team_id", "parent_id", "name", "invited"],
        )
        await conn.execute(
            RESPONSES,
            org_id,
            wave_id,
            leaves,
            [counts[t] for t in leaves],
            core,
            [base[t] + rng.choice([-0.02, 0, 0.02]) * w for t in leaves],
        )
        async with conn.transaction():
            await rollup_wave(conn, org_id, wave_id)
    await conn.execute("ANALYZE")
    department = departments[0]
    below = [t for t, p, _ in teams if p == department]
    return {
        "org_id": org_id,
        "root": department,
        "teams": [department, *below],
        "responses": per_wave * WAVES,
        "load_s": round(time.perf_counter() - t0, 1),
    }


async def leader_of(conn: Any, org_id: Any, team_id: Any) -> tuple[str, str]:
    """A console session of a person leading `team_id`, and a leader key of the same scope."""
    person = await conn.fetchval(
        "INSERT INTO people (org_id, email, display_name) VALUES ($1, $2, 'Lead') RETURNING id",
        org_id,
        f"lead-{uuid.uuid4().hex[:8]}@bench.example",
    )
    await conn.execute(
        "INSERT INTO team_leaders (org_id, team_id, person_id) VALUES ($1, $2, $3)",
        org_id,
        team_id,
        person,
    )
    cookie = await start_session(conn, org_id, person, datetime.now(UTC))
    _, key = await create_key(conn, org_id, "bench lead", "leader", [team_id])
    return cookie, key


def timings(base: str, paths: list[str], headers: dict[str, str], warm: int) -> dict[str, float]:
    host = urlsplit(base)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
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
    }


def measure(base: str, teams: list[Any], cookie: str, key: str, n: int) -> dict[str, Any]:
    rng = random.Random(3)
    warm = 20
    pick = [rng.choice(teams) for _ in range(n + warm)]
    session = {"Cookie": f"{COOKIE}={cookie}"}
    out = {
        "json_trend": timings(
            base,
            [f"/api/v1/teams/{t}/trend" for t in pick],
            {"Authorization": f"Bearer {key}"},
            warm,
        ),
        "team_page": timings(base, [f"/console/teams/{t}" for t in pick], session, warm),
        "heatmap_page": timings(base, ["/console/heatmap"] * (n + warm), session, warm),
    }
    json_p99 = out["json_trend"]["p99_ms"]
    out["ratio_team_page"] = round(out["team_page"]["p99_ms"] / json_p99, 2)
    out["ratio_heatmap_page"] = round(out["heatmap_page"]["p99_ms"] / json_p99, 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small large set (40 teams)")
    parser.add_argument("--teams", type=int)
    parser.add_argument("--responses", type=int)
    args = parser.parse_args()
    n_teams, n_responses, n = (40, 60_000, 200) if args.quick else (2_000, 10_000_000, 500)
    n_teams, n_responses = args.teams or n_teams, args.responses or n_responses
    with database() as dsn:

        async def prepare() -> dict[str, Any]:
            conn = await connect(dsn)
            try:
                await migrate(conn)
                demo_org, _ = await create_org(conn, "Demo Co", setup=[install_builtin_items])
                await seed_history(conn, demo_org, SECRET)
                roles = await seed_console_roles(conn, demo_org)
                product = await conn.fetchval(
                    "SELECT id FROM teams WHERE org_id = $1 AND name = 'Product'", demo_org
                )
                demo_teams = [
                    r["id"]
                    for r in await conn.fetch(
                        "SELECT id FROM teams WHERE org_id = $1 AND (id = $2 OR parent_id = $2)",
                        demo_org,
                        product,
                    )
                ]
                cookie = await start_session(conn, demo_org, roles["leader_id"], datetime.now(UTC))
                _, key = await create_key(conn, demo_org, "demo lead", "leader", [product])
                large = await load_large(conn, n_teams, n_responses)
                l_cookie, l_key = await leader_of(conn, large["org_id"], large["root"])
                return {
                    "demo": (demo_teams, cookie, key),
                    "large": (large["teams"], l_cookie, l_key),
                    "large_info": large,
                }
            finally:
                await conn.close()

        data = asyncio.run(prepare())
        print(
            "loaded",
            {k: v for k, v in data["large_info"].items() if k in ("responses", "load_s")},
            flush=True,
        )
        env = {
            "CANDOR_ENV": "test",
            "DATABASE_URL": dsn,
            "SECRET_KEY": SECRET,
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "json",
            "RATE_LIMIT": "off",
        }
        results: dict[str, Any] = {}
        with serve("service.app:app_factory", env) as base:
            for name in ("demo", "large"):
                results[name] = measure(base, *data[name], n)
                print(name, results[name], flush=True)
    worst = max(r[k] for r in results.values() for k in ("ratio_team_page", "ratio_heatmap_page"))
    summary = {
        "bench": "console",
        "quick": args.quick,
        "large": {
            "teams": n_teams,
            "waves": WAVES,
            "responses": data["large_info"]["responses"],
            "leader_subtree_teams": len(data["large"][0]),
        },
        **{
            f"{name}_{k}": v
            for name, r in results.items()
            for k, v in r.items()
            if k.startswith("ratio")
        },
        **{
            f"{name}_{k}_p99_ms": r[k]["p99_ms"]
            for name, r in results.items()
            for k in ("json_trend", "team_page", "heatmap_page")
        },
        "goal": {"page_p99_over_json_p99": 2.0},
        "goal_met": worst <= 2.0,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
