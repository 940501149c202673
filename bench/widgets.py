"""Widgets benchmark: requests/s of the badge and the JSON endpoint, fresh and revalidated.

Seeds one org with a team that has 12 closed waves (real rollups via `rollup_wave`) and a widget
token, serves the app with granian (production flags), and loads
  - /embed/v1/badge.svg and /embed/v1/trend.json without a validator (fresh: token check, trend,
    render) and with `If-None-Match` (revalidated: token check and 304),
beside a bare litestar route returning a constant of the same size and type, served the same way
in the same run (interleaved short runs, median per target). ratio = ours / bare. Goals: ratio
>= 0.6 for revalidated requests, and >= 0.75 for `app_health` / `bare_health`, which shows what
the app's shared plumbing (middleware, problem details) costs before any widget work.

    uv run python bench/widgets.py [--quick] [--in-process] [--profile]

It also measures in-process CPU per request (`in_process_us`): the app's and the bare app's
ASGI callables called directly in this process (no network, no granian), process CPU time per
request, best of several interleaved rounds. That figure is steady on a busy machine, where
requests/s over HTTP are not. It measures a revalidation both through the fast path
(`*_revalidated`, service/analytics/widgets/fastpath.py) and through the route itself, with the
fast path taken out of the same stack (`*_revalidated_route`: what every revalidation cost
before). `--in-process` runs only that part.

PostgreSQL comes from TEST_DATABASE_URL (a fresh database is created and dropped) or an embedded
server; the last line of stdout is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from _load import database, load, redis, serve

from service.analytics.rollup import rollup_wave
from service.analytics.widgets.tokens import store_token
from service.db import connect
from service.migrate import migrate
from service.orgs import create_org
from service.surveys.pulses.bank import builtin_items, install_builtin_items

WAVES = 12
_INSERT_RESPONSE = """
INSERT INTO responses (org_id, wave_id, team_id, answers) VALUES ($1, $2, $3, $4)
"""
RESPONDENTS = 14


async def seed(dsn: str) -> str:
    """One org, one team with WAVES closed waves of RESPONDENTS answers; return a widget token."""
    conn = await connect(dsn)
    try:
        await migrate(conn)
        async with conn.transaction():
            org_id, _ = await create_org(conn, "Bench Co", setup=[install_builtin_items])
            team_id: UUID = await conn.fetchval(
                "INSERT INTO teams (org_id, name) VALUES ($1, 'Platform') RETURNING id", org_id
            )
            core = [i.key for i in builtin_items() if i.core]
            pulse_id = await conn.fetchval(
                """
                INSERT INTO pulses (org_id, name, team_ids, core_items, items_per_wave, cadence,
                                    open_days)
                VALUES ($1, 'Pulse', $2, $3, 4, 'weekly', 6) RETURNING id
                """,
                org_id,
                [team_id],
                core,
            )
            start = datetime(2026, 1, 2, tzinfo=UTC)
            rng = secrets.SystemRandom()
            for seq in range(1, WAVES + 1):
                closes = start + timedelta(weeks=seq)
                wave_id = await conn.fetchval(
                    """
                    INSERT INTO waves (org_id, pulse_id, seq, item_keys, k, comment_k, opens_at,
                                       closes_at, state, closed_at)
                    VALUES ($1, $2, $3, $4, 5, 10, $5, $6, 'closed', $6) RETURNING id
                    """,
                    org_id,
                    pulse_id,
                    seq,
                    core,
                    closes - timedelta(days=6),
                    closes,
                )
                await conn.execute(
                    """
                    INSERT INTO wave_teams (org_id, wave_id, team_id, parent_id, name, invited)
                    VALUES ($1, $2, $3, NULL, 'Platform', $4)
                    """,
                    org_id,
                    wave_id,
                    team_id,
                    RESPONDENTS + 3,
                )
                await conn.executemany(
                    _INSERT_RESPONSE,
                    [
                        (org_id, wave_id, team_id, {k: rng.randint(3, 7) for k in core})
                        for _ in range(RESPONDENTS)
                    ],
                )
                await rollup_wave(conn, org_id, wave_id)
            _, _, token = await store_token(
                conn,
                org_id,
                team_id=team_id,
                subtree=True,
                allowed_origins=[],
                label="bench",
                expires_at=datetime.now(UTC) + timedelta(days=1),
            )
        return token
    finally:
        await conn.close()


def fetch(url: str) -> tuple[bytes, str, str]:
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read(), r.headers["ETag"], r.headers["Content-Type"]


def warm_up(url: str, headers: dict[str, str], n: int = 60) -> None:
    """Fill the DB pool's statement caches (and get past Postgres's custom-plan phase) first."""
    for _ in range(n):
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as r:
                r.read()
        except urllib.error.HTTPError as exc:  # a 304 arrives as an "error"
            if exc.code != 304:
                raise


def measure(url: str, connections: int, seconds: float, headers: dict[str, str]) -> dict[str, Any]:
    # _load's wrk parser can mistake a "+/- Stdev" figure ending in "99%" for the 99th
    # percentile and fail; such a run is simply measured again.
    for _ in range(3):
        try:
            return load(url, connections, seconds, headers)
        except AttributeError:
            continue
    return load(url, connections, seconds, headers)


async def _nothing() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def in_process(
    env: dict[str, str], paths: dict[str, str], quick: bool, profile: bool = False
) -> dict[str, Any]:
    """CPU time per request of the ASGI callables, called directly: best of interleaved rounds."""
    from bench.bare_app import app_factory as bare_factory
    from service.analytics.widgets.fastpath import WidgetRevalidation
    from service.app import create_app
    from service.observe import ObserveMiddleware
    from service.settings import load_settings

    rounds, n = (5, 1000) if quick else (7, 2000)
    app = create_app(load_settings(env))
    bare = bare_factory()
    whole = app.asgi_handler
    assert isinstance(whole, ObserveMiddleware) and isinstance(whole.app, WidgetRevalidation)
    route_only = ObserveMiddleware(whole.app.app)  # the same stack without the fast path
    last: dict[str, Any] = {}

    async def keep(message: Any) -> None:
        if message["type"] == "http.response.start":
            last["status"] = message["status"]
            last["headers"] = message["headers"]

    def scope_of(path_query: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
        path, _, query = path_query.partition("?")
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": query.encode(),
            "headers": [(b"host", b"127.0.0.1:8000"), *headers],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }

    async with app.lifespan():
        targets: dict[str, tuple[Any, dict[str, Any], int]] = {
            "bare_health": (bare, scope_of("/health", []), 200),
            "app_health": (app, scope_of("/health", []), 200),
        }
        for name, path in paths.items():
            await app(scope_of(path, []), _nothing, keep)  # type: ignore[arg-type]
            etag = dict(last["headers"])[b"etag"]
            revalidate = scope_of(path, [(b"if-none-match", etag)])
            targets[f"{name}_revalidated"] = (app, revalidate, 304)
            routed = {**revalidate, "app": app, "litestar_app": app}
            targets[f"{name}_revalidated_route"] = (route_only, routed, 304)

        async def per_request_us(handler: Any, template: dict[str, Any], count: int) -> float:
            start = time.process_time()
            for _ in range(count):
                await handler({**template, "state": {}}, _nothing, keep)
            return (time.process_time() - start) / count * 1e6

        best: dict[str, float] = {}
        for key, (handler, template, status) in targets.items():
            await per_request_us(handler, template, 200)  # warm caches, check the answer
            assert last["status"] == status, (key, last["status"])
        for _ in range(rounds):
            for key, (handler, template, _) in targets.items():
                us = await per_request_us(handler, template, n)
                best[key] = min(best.get(key, us), us)
        if profile:  # where a fast-path revalidation's time goes, top entries by self time
            import cProfile
            import pstats

            handler, template, _ = targets["json_revalidated"]
            profiler = cProfile.Profile()
            profiler.enable()
            await per_request_us(handler, template, 20_000)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(14)
    us = {key: round(value, 1) for key, value in best.items()}
    ratio = {key: round(best["bare_health"] / best[key], 3) for key in best if key != "bare_health"}
    return {"rounds": rounds, "requests_per_round": n, "us": us, "ratio_vs_bare": ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs (< 1 minute in all)")
    parser.add_argument(
        "--in-process", action="store_true", help="only the in-process CPU measurement"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also profile a fast-path revalidation in-process"
    )
    args = parser.parse_args()
    rounds, seconds = (2, 1.0) if args.quick else (5, 3.0)
    connections = 16 if args.quick else 32

    with database() as dsn, redis() as redis_url:
        token = asyncio.run(seed(dsn))
        env = {
            "CANDOR_ENV": "test",
            "DATABASE_URL": dsn,
            "REDIS_URL": redis_url,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "json",
            "RATE_LIMIT": "off",
        }
        paths = {
            "badge": f"/embed/v1/badge.svg?token={token}&dimension=psychological_safety",
            "json": f"/embed/v1/trend.json?token={token}&waves=12",
        }
        cpu = asyncio.run(in_process(env, paths, args.quick, args.profile))
        print("in_process", cpu, flush=True)
        if args.in_process:
            cpu_ratio = cpu["ratio_vs_bare"]
            print(
                json.dumps(
                    {
                        "bench": "widgets",
                        "mode": "in_process",
                        "quick": args.quick,
                        "in_process_us": cpu["us"],
                        "in_process_ratio": cpu_ratio,
                        "load_avg_1m": round(os.getloadavg()[0], 2),
                    }
                )
            )
            return
        with contextlib.ExitStack() as stack:
            base = stack.enter_context(serve("service.app:app_factory", env))
            targets: dict[str, tuple[str, dict[str, str]]] = {}
            bodies: dict[str, int] = {}
            for name, path in paths.items():
                body, etag, ctype = fetch(base + path)
                bodies[name] = len(body)
                bare_env = {"BARE_BODY": body.decode(), "BARE_TYPE": ctype.split(";")[0]}
                bare = stack.enter_context(serve("bench.bare_app:app_factory", bare_env))
                targets[f"{name}_fresh"] = (base + path, {})
                targets[f"{name}_revalidated"] = (base + path, {"If-None-Match": etag})
                targets[f"bare_{name}"] = (bare + "/health", {})
            # The app's own cheapest route (no database), to tell the shared plumbing's cost
            # from the widget's own work.
            targets["app_health"] = (base + "/health", {})
            bare = stack.enter_context(serve("bench.bare_app:app_factory", {}))
            targets["bare_health"] = (bare + "/health", {})
            for url, headers in targets.values():
                warm_up(url, headers)
            # Interleaved short runs, median per target: other work on the machine then
            # weighs on ours and on the yardstick alike.
            runs: dict[str, list[dict[str, Any]]] = {key: [] for key in targets}
            for _ in range(rounds):
                for key, (url, headers) in targets.items():
                    runs[key].append(measure(url, connections, seconds, headers))
    results = {key: sorted(r, key=lambda x: x["rps"])[len(r) // 2] for key, r in runs.items()}
    for key, value in results.items():
        print(key, value, flush=True)

    def ratio_of(ours: str, bare: str) -> float:
        return round(results[ours]["rps"] / results[bare]["rps"], 3)

    ratio = {
        f"{name}_{kind}": ratio_of(f"{name}_{kind}", f"bare_{name}")
        for name in ("badge", "json")
        for kind in ("fresh", "revalidated")
    }
    ratio["app_health"] = ratio_of("app_health", "bare_health")
    # Widget revalidation against the app's own floor: what the token check itself costs.
    ratio["badge_revalidated_vs_app_health"] = ratio_of("badge_revalidated", "app_health")
    ratio["json_revalidated_vs_app_health"] = ratio_of("json_revalidated", "app_health")
    summary = {
        "bench": "widgets",
        "quick": args.quick,
        "rounds": rounds,
        "seconds_per_run": seconds,
        "connections": connections,
        "waves": WAVES,
        "rps": {key: value["rps"] for key, value in results.items()},
        "p99_ms": {key: value["p99_ms"] for key, value in results.items()},
        "errors": sum(v["non_2xx"] + v["socket_errors"] for v in results.values()),
        "client": results["badge_fresh"]["client"],
        "body_bytes": bodies,
        "ratio": ratio,
        "in_process_us": cpu["us"],
        "in_process_ratio": cpu["ratio_vs_bare"],
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "goal": {"revalidated_ratio": 0.6, "app_health": 0.75},
        "goal_met": min(ratio["badge_revalidated"], ratio["json_revalidated"]) >= 0.6
        and ratio["app_health"] >= 0.75,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
