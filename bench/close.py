"""Closing a large wave: ballots to shuffled responses, rollups and the guard's plan, timed.

For each size (people; teams = people / 20, so team size stays the same as the org grows) it
sets up an open wave quickly (teams by COPY, people by generate_series, the real `open_wave`,
then ballots for 70% of the invitations by one INSERT ... SELECT, outbox rows marked sent as
they would be by close time, ANALYZE as autovacuum would have), then closes it in a separate
process the way the worker does: the worker's own cron job `close_due_waves` on a pool built
by `create_pool` (command_timeout 30 s), which runs the real
`close_wave(conn, org_id, wave_id, after_close=rollup_wave)` and skips any unsent mail. That
process reports the close's wall time, its time in SQL per statement (asyncpg's query logger)
and its peak RSS (VmHWM), so the memory figure is the worker's alone.

    uv run python bench/close.py            # 10,000 and 100,000 people (500 and 5,000 teams)
    uv run python bench/close.py --quick    # 2,000 and 10,000 people (100 and 500 teams)

Goals: the larger close ready in <= 60 s, the worker's peak RSS <= 1 GiB, and close seconds per
person growing <= 1.3x from the smaller size to the larger (both measured in this run).
PostgreSQL comes from TEST_DATABASE_URL (a fresh database, dropped after) or an embedded
server. The last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _load import database  # noqa: E402
from _synth import add_people, fill_ballot_box, new_org, new_pulse, team_tree  # noqa: E402

from service.db import connect  # noqa: E402
from service.migrate import migrate  # noqa: E402
from service.surveys.waves.lifecycle import open_wave  # noqa: E402

SECRET = "bench-secret-" + "c" * 40
PEOPLE_PER_TEAM = 20
TABLES = (
    "invitations",
    "outbox",
    "responses",
    "comments",
    "wave_teams",
    "wave_groups",
    "wave_cells",
)


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


async def _worker(dsn: str) -> dict[str, Any]:
    """Run in the child process: the worker's close cron over every due wave (there is one)."""
    os.environ.update(
        {"DATABASE_URL": dsn, "SECRET_KEY": SECRET, "CANDOR_ENV": "test", "LOG_LEVEL": "WARNING"}
    )
    from service.analytics.rollup import rollup_wave
    from service.db import create_pool
    from service.settings import get_settings
    from service.surveys.waves.clock import close_due_waves

    pool = await create_pool(get_settings())
    statements: list[tuple[str, float]] = []

    def logger(record: Any) -> None:
        first = " ".join(record.query.split())[:60]
        statements.append((first, record.elapsed))

    # One connection is enough (min_size 2 opens two; both get the logger).
    for holder in pool._holders:
        if holder._con is not None:
            holder._con.add_query_logger(logger)
    rollup_s = [0.0]

    async def timed_rollup(conn: Any, org_id: UUID, wave_id: UUID) -> None:
        t = time.perf_counter()
        await rollup_wave(conn, org_id, wave_id)
        rollup_s[0] = time.perf_counter() - t

    rss_before = _status_kib("VmRSS")
    t0 = time.perf_counter()
    closed = await close_due_waves({"pool": pool, "after_close": timed_rollup})
    elapsed = time.perf_counter() - t0
    await pool.close()
    by_statement: dict[str, float] = {}
    for text, seconds in statements:
        by_statement[text] = by_statement.get(text, 0.0) + seconds
    top = sorted(by_statement.items(), key=lambda kv: -kv[1])[:8]
    sql_s = sum(by_statement.values())
    return {
        "closed": closed,
        "close_s": round(elapsed, 3),
        "rollup_s": round(rollup_s[0], 3),
        "sql_s": round(sql_s, 3),
        "python_s": round(max(0.0, elapsed - sql_s), 3),
        "top_statements": [[text, round(s, 3)] for text, s in top],
        "rss_before_close_mib": round(rss_before / 1024, 1),
        "peak_rss_mib": round(_status_kib("VmHWM") / 1024, 1),
    }


async def prepare(dsn: str) -> None:
    conn = await connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()


async def open_one(dsn: str, people: int) -> dict[str, Any]:
    """An org of `people` over people / 20 teams with an open wave full of ballots."""
    conn = await connect(dsn)
    try:
        t0 = time.perf_counter()
        tree = team_tree(max(4, people // PEOPLE_PER_TEAM))
        org_id, _ = await new_org(conn, f"Close {people}", tree)
        await add_people(conn, org_id, tree.leaves, people)
        pulse_id = await new_pulse(conn, org_id, [tree.ids[0]])
        await conn.execute("ANALYZE")  # as autovacuum would have, long before a wave opens
        load_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        start = datetime.now(UTC) - timedelta(days=6)
        wave_id = await open_wave(conn, org_id, pulse_id, opens_at=start, secret=SECRET)
        open_s = time.perf_counter() - t1
        t2 = time.perf_counter()
        ballots = await fill_ballot_box(conn, org_id, wave_id)
        # By close time the invitations went out long ago.
        await conn.execute("ANALYZE")
        await conn.execute(
            """
            UPDATE outbox SET state = 'sent', sent_at = now()
            WHERE org_id = $1
              AND invitation_id IN (SELECT id FROM invitations WHERE org_id = $1 AND wave_id = $2)
            """,
            org_id,
            wave_id,
        )
        # Due now: the worker's cron picks it up.
        await conn.execute(
            "UPDATE waves SET closes_at = now() - interval '1 minute' "
            "WHERE org_id = $1 AND id = $2",
            org_id,
            wave_id,
        )
        await conn.execute("VACUUM ANALYZE")
        ballots_s = time.perf_counter() - t2
        return {
            "people": people,
            "teams": len(tree.ids),
            "ballots": ballots,
            "setup_s": {
                "org_teams_people": round(load_s, 2),
                "open_wave": round(open_s, 2),
                "ballots": round(ballots_s, 2),
            },
            "org_id": str(org_id),
            "wave_id": str(wave_id),
        }
    finally:
        await conn.close()


def close_in_worker(dsn: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", dsn],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise RuntimeError(f"worker failed: {out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if result["closed"] != 1:
        raise RuntimeError(f"the worker closed {result['closed']} waves: {out.stderr[-3000:]}")
    return result


async def wave_rows(dsn: str, org_id: str, wave_id: str) -> dict[str, int]:
    conn = await connect(dsn)
    try:
        counts = {}
        for table in TABLES:
            if table == "outbox":
                sql = (
                    "SELECT count(*) FROM outbox o JOIN invitations i ON i.org_id = o.org_id "
                    "AND i.id = o.invitation_id WHERE i.org_id = $1 AND i.wave_id = $2"
                )
            else:
                sql = f"SELECT count(*) FROM {table} WHERE org_id = $1 AND wave_id = $2"
            counts[table] = await conn.fetchval(sql, UUID(org_id), UUID(wave_id))
        return counts
    finally:
        await conn.close()


async def bytes_per_row(dsn: str) -> dict[str, int]:
    """Table + index bytes per row, over everything this run wrote (for growth estimates)."""
    conn = await connect(dsn)
    try:
        await conn.execute("VACUUM ANALYZE")
        out = {}
        for table in TABLES:
            rows = await conn.fetchval(f"SELECT count(*) FROM {table}")
            size = await conn.fetchval("SELECT pg_total_relation_size($1::regclass)", table)
            out[table] = round(size / rows) if rows else 0
        return out
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 and 10,000 people (< 1 min)")
    parser.add_argument("--worker", metavar="DSN", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(asyncio.run(_worker(args.worker))))
        return
    sizes = (2_000, 10_000) if args.quick else (10_000, 100_000)
    results: list[dict[str, Any]] = []
    with database() as dsn:
        asyncio.run(prepare(dsn))
        for people in sizes:
            opened = asyncio.run(open_one(dsn, people))
            print("opened", {k: v for k, v in opened.items() if "_id" not in k}, flush=True)
            closed = close_in_worker(dsn)
            closed["rows"] = asyncio.run(wave_rows(dsn, opened["org_id"], opened["wave_id"]))
            print("closed", closed, flush=True)
            results.append({**opened, **closed})
        sizes_bytes = asyncio.run(bytes_per_row(dsn))
    small, large = results
    per_person = [r["close_s"] / r["people"] for r in results]
    growth = round(per_person[1] / per_person[0], 3)
    peak = max(r["peak_rss_mib"] for r in results)
    summary = {
        "bench": "close",
        "quick": args.quick,
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "people": [r["people"] for r in results],
        "teams": [r["teams"] for r in results],
        "ballots": [r["ballots"] for r in results],
        "close_s": [r["close_s"] for r in results],
        "rollup_s": [r["rollup_s"] for r in results],
        "sql_s": [r["sql_s"] for r in results],
        "python_s": [r["python_s"] for r in results],
        "ms_per_person": [round(p * 1000, 4) for p in per_person],
        "per_person_growth": growth,
        "peak_rss_mib": [r["peak_rss_mib"] for r in results],
        "rss_before_close_mib": [r["rss_before_close_mib"] for r in results],
        "setup_s": [r["setup_s"] for r in results],
        "rows_large_wave": large["rows"],
        "bytes_per_row": sizes_bytes,
        "top_statements_large": large["top_statements"],
        "goal": {"close_s": 60, "peak_rss_mib": 1024, "per_person_growth": 1.3},
        "goal_met": large["close_s"] <= 60 and peak <= 1024 and growth <= 1.3,
    }
    del small
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
