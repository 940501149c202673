"""How fast does the CSV import of people run, end to end through the API?

Measures, on a fresh database, a 10,000-person CSV (team paths over ~60 teams) posted to
POST /api/v1/people/import in-process (litestar's test client, no network):
  - first import (everyone created, teams created from paths),
  - the same file again (everyone unchanged),
  - the file with 10% of the rows changed,
  - a dry run of the changed file,
beside two yardsticks in the same run:
  - raw: the same rows COPYed straight into `people` with asyncpg (no checks, no upsert),
  - row_by_row: the naive upsert, one INSERT ... ON CONFLICT per person in one transaction.
Each figure is the best of several repetitions. The full run adds a 50,000-person file.

PostgreSQL comes from TEST_DATABASE_URL (a fresh database is created and dropped) or an embedded
server. Usage: uv run python bench/import_people.py [--quick]. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _load import database  # noqa: E402
from litestar.testing import AsyncTestClient  # noqa: E402

from service.app import create_app  # noqa: E402
from service.db import connect  # noqa: E402
from service.migrate import migrate  # noqa: E402
from service.orgs import create_org  # noqa: E402
from service.settings import load_settings  # noqa: E402
from service.surveys.pulses.bank import install_builtin_items  # noqa: E402

DIVISIONS = ["Engineering", "Sales", "Operations", "Finance", "People", "Support"]


def people_rows(n: int, changed_every: int = 0) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for i in range(n):
        team = f"{DIVISIONS[i % len(DIVISIONS)]}/Team {i % 60:02d}"
        name = f"Person {i}" + (" (renamed)" if changed_every and i % changed_every == 0 else "")
        rows.append((f"person{i}@example.com", name, "nl" if i % 3 == 0 else "en", team, "true"))
    return rows


def to_csv(rows: list[tuple[str, str, str, str, str]]) -> bytes:
    lines = ["email,display_name,locale,team,active"] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


async def best_of(
    reps: int, setup: Callable[[], Awaitable[Any]], run: Callable[[Any], Awaitable[Any]]
) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(reps):
        arg = await setup()
        t0 = time.perf_counter()
        result = await run(arg)
        best = min(best, time.perf_counter() - t0)
    return best, result


async def new_org(dsn: str) -> tuple[UUID, str]:
    conn = await connect(dsn)
    try:
        async with conn.transaction():
            return await create_org(
                conn, f"Bench {secrets.token_hex(3)}", setup=[install_builtin_items]
            )
    finally:
        await conn.close()


async def measure(dsn: str, n: int, reps: int) -> dict[str, Any]:
    settings = load_settings(
        {
            "CANDOR_ENV": "test",
            "DATABASE_URL": dsn,
            "SECRET_KEY": "bench-" + "x" * 40,
            "LOG_LEVEL": "ERROR",
            "RATE_LIMIT": "off",
        }
    )
    first_file = to_csv(people_rows(n))
    changed_file = to_csv(people_rows(n, changed_every=10))
    app = create_app(settings)
    out: dict[str, Any] = {"people": n, "csv_bytes": len(first_file)}
    async with AsyncTestClient(app=app) as client:

        async def post(org: tuple[UUID, str], body: bytes, query: str = "") -> dict[str, Any]:
            r = await client.post(
                "/api/v1/people/import" + query,
                content=body,
                headers={"Authorization": f"Bearer {org[1]}", "content-type": "text/csv"},
            )
            assert r.status_code == 200, r.text
            return dict(r.json())

        async def fresh() -> tuple[UUID, str]:
            return await new_org(dsn)

        async def loaded() -> tuple[UUID, str]:
            org = await new_org(dsn)
            await post(org, first_file)
            return org

        out["created_s"], rep = await best_of(reps, fresh, lambda org: post(org, first_file))
        assert rep["created"] == n, rep
        out["teams_created"] = len(rep["teams_created"])
        org = await loaded()
        out["unchanged_s"], rep = await best_of(reps, _const(org), lambda o: post(o, first_file))
        assert rep["unchanged"] == n, rep
        out["dry_run_changed_s"], rep = await best_of(
            reps, _const(org), lambda o: post(o, changed_file, "?dry_run=true")
        )
        assert rep["updated"] == n // 10, rep
        out["changed_10pct_s"], rep = await best_of(reps, loaded, lambda o: post(o, changed_file))
        assert rep["updated"] == n // 10, rep

    rows = people_rows(n)
    conn = await connect(dsn)
    try:

        async def raw_copy(org: tuple[UUID, str]) -> None:
            await conn.copy_records_to_table(
                "people",
                records=[(org[0], e, d, loc, True) for e, d, loc, _, _ in rows],
                columns=["org_id", "email", "display_name", "locale", "active"],
            )

        async def row_by_row(org: tuple[UUID, str]) -> None:
            async with conn.transaction():
                for e, d, loc, _, _ in rows:
                    await conn.execute(
                        """INSERT INTO people (org_id, email, display_name, locale, active)
                           VALUES ($1, $2, $3, $4, true)
                           ON CONFLICT (org_id, lower(email)) DO UPDATE
                           SET display_name = EXCLUDED.display_name, locale = EXCLUDED.locale""",
                        org[0],
                        e,
                        d,
                        loc,
                    )

        out["raw_copy_s"], _ = await best_of(reps, fresh, raw_copy)
        out["row_by_row_s"], _ = await best_of(1, fresh, row_by_row)
    finally:
        await conn.close()
    out["people_per_s"] = round(n / out["created_s"])
    out["ratio_raw_over_import"] = round(out["raw_copy_s"] / out["created_s"], 3)
    out["speedup_vs_row_by_row"] = round(out["row_by_row_s"] / out["created_s"], 1)
    for k, v in list(out.items()):
        if k.endswith("_s"):
            out[k] = round(v, 3)
    return out


def _const(value: Any) -> Callable[[], Awaitable[Any]]:
    async def f() -> Any:
        return value

    return f


async def prepare(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick", action="store_true", help="10,000 people, 2 repetitions (< 1 minute)"
    )
    args = ap.parse_args()
    sizes, reps = ([10_000], 2) if args.quick else ([10_000, 50_000], 3)
    with database() as dsn:
        asyncio.run(prepare(dsn))
        results = []
        for n in sizes:
            r = asyncio.run(measure(dsn, n, reps))
            results.append(r)
            print(
                f"{n:>6} people: create {r['created_s']:.2f}s, unchanged {r['unchanged_s']:.2f}s, "
                f"10% changed {r['changed_10pct_s']:.2f}s, dry run {r['dry_run_changed_s']:.2f}s | "
                f"raw COPY {r['raw_copy_s']:.2f}s, row-by-row {r['row_by_row_s']:.2f}s"
            )
    summary = {"benchmark": "import_people", "quick": args.quick, **results[0]}
    if len(results) > 1:
        summary["large"] = results[1]
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
