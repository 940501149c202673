"""Console pages against the JSON trend route: p99 of the team page and the heatmap page.

Two data sets in one database: the demo org (`candor dev`'s, eight rounds, a Product lead), and
the trends benchmark's large org (bench/trends.py `load_org`: a 4-level tree, 104 closed weekly
waves, seven items a wave, rollup rows written server-side; about 14.6 M `wave_cells` rows at
5,000 teams). The leader of the large org leads one department: a 50-team subtree.
For each, a leader of one subtree is signed in (a console session) and given a leader API key
of the same scope; sequential keep-alive GETs time the JSON trend route, the team page and the
heatmap page in the same run, against the app served by granian as in production.

    uv run python bench/console.py            # large set: 5,000 teams x 104 waves
    uv run python bench/console.py --quick    # large set: 80 teams x 104 waves

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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))

import trends  # noqa: E402

from bench._load import database, serve  # noqa: E402
from service.auth import create_key  # noqa: E402
from service.console.sessions import COOKIE, start_session  # noqa: E402
from service.db import connect  # noqa: E402
from service.demo import seed_console_roles, seed_history  # noqa: E402
from service.migrate import migrate  # noqa: E402
from service.orgs import create_org  # noqa: E402
from service.surveys.pulses.bank import install_builtin_items  # noqa: E402

SECRET = secrets.token_urlsafe(32)


async def load_large(dsn: str, n_teams: int) -> dict[str, Any]:
    """The trends benchmark's large org (bench/trends.py `load_org`: 104 closed waves whose
    rollup rows are written server-side), and one department's subtree for its leader."""
    org = await trends.load_org(dsn, "Large Co", n_teams, seed=11, bulk=n_teams > 500)
    conn = await connect(dsn)
    try:
        department = org["departments"][0]
        below = [
            r["team_id"]
            for r in await conn.fetch(
                "SELECT team_id FROM team_subtree($1, $2)", org["org_id"], [department]
            )
        ]
        cells = await conn.fetchval(
            "SELECT count(*) FROM wave_cells WHERE org_id = $1", org["org_id"]
        )
    finally:
        await conn.close()
    return {**org, "root": department, "subtree": below, "cells": cells}


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


async def latest_round(conn: Any, org_id: Any) -> Any:
    return await conn.fetchval(
        "SELECT id FROM waves WHERE org_id = $1 AND state = 'closed'"
        " ORDER BY closes_at DESC LIMIT 1",
        org_id,
    )


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


def measure(
    base: str, teams: list[Any], cookie: str, key: str, wave: Any, n: int
) -> dict[str, Any]:
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
        # The page's JSON twin (same round, same subtree, same change flags' guard), for scale:
        # the goal compares pages with the one-team trend above.
        "json_heatmap": timings(
            base,
            [f"/api/v1/waves/{wave}/heatmap"] * (n + warm),
            {"Authorization": f"Bearer {key}"},
            warm,
        ),
    }
    json_p99 = out["json_trend"]["p99_ms"]
    out["ratio_team_page"] = round(out["team_page"]["p99_ms"] / json_p99, 2)
    out["ratio_heatmap_page"] = round(out["heatmap_page"]["p99_ms"] / json_p99, 2)
    out["heatmap_page_vs_json_heatmap"] = round(
        out["heatmap_page"]["p99_ms"] / out["json_heatmap"]["p99_ms"], 2
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small large set (80 teams)")
    parser.add_argument("--teams", type=int)
    args = parser.parse_args()
    n_teams, n = (80, 200) if args.quick else (5_000, 500)
    n_teams = args.teams or n_teams
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
                large = await load_large(dsn, n_teams)
                l_cookie, l_key = await leader_of(conn, large["org_id"], large["root"])
                return {
                    "demo": (demo_teams, cookie, key, await latest_round(conn, demo_org)),
                    "large": (
                        large["subtree"],
                        l_cookie,
                        l_key,
                        await latest_round(conn, large["org_id"]),
                    ),
                    "large_info": large,
                }
            finally:
                await conn.close()

        data = asyncio.run(prepare())
        print(
            "loaded",
            {k: v for k, v in data["large_info"].items() if k in ("cells", "load_s")},
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
            "waves": trends.WAVES,
            "wave_cells": data["large_info"]["cells"],
            "load_s": data["large_info"]["load_s"],
            "leader_subtree_teams": len(data["large"][0]),
        },
        **{
            f"{name}_{k}": v
            for name, r in results.items()
            for k, v in r.items()
            if k.startswith("ratio") or k.endswith("_vs_json_heatmap")
        },
        **{
            f"{name}_{k}_p99_ms": r[k]["p99_ms"]
            for name, r in results.items()
            for k in ("json_trend", "team_page", "heatmap_page", "json_heatmap")
        },
        "goal": {"page_p99_over_json_p99": 2.0},
        "goal_met": worst <= 2.0,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
