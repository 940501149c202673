"""`candor dev`'s demo org: months of closed waves that tell a believable story, seeded once."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from service.analytics.trends import team_trend
from service.demo import WAVES, seed_demo
from service.settings import Settings


async def test_demo_history_shows_improving_declining_and_pooled_small_teams(
    pool: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    async with pool.acquire() as conn:
        demo = await seed_demo(conn, tmp_path, settings)
        again = await seed_demo(conn, tmp_path, settings)
        assert again == demo
        org_id = demo["org_id"]
        closed = await conn.fetchval(
            "SELECT count(*) FROM waves WHERE org_id = $1 AND state = 'closed'", org_id
        )
        assert closed == WAVES  # seeded once, not once per start
        teams = {
            r["name"]: r["id"]
            for r in await conn.fetch("SELECT id, name FROM teams WHERE org_id = $1", org_id)
        }
        # The admin's choice the demo shows: Design is reported together with Data.
        choices = {
            r["name"]: r["report_with"]
            for r in await conn.fetch(
                "SELECT name, report_with FROM teams WHERE org_id = $1", org_id
            )
        }
        assert {n: c for n, c in choices.items() if c} == {"Design": teams["Data"]}
        assert demo["pulse_id"] == str(
            await conn.fetchval("SELECT id FROM pulses WHERE org_id = $1", org_id)
        )
        platform = await team_trend(conn, org_id, teams["Platform"], waves_limit=WAVES)
        mobile = await team_trend(conn, org_id, teams["Mobile"], waves_limit=WAVES)
        design = await team_trend(conn, org_id, teams["Design"], waves_limit=WAVES)
        data = await team_trend(conn, org_id, teams["Data"], waves_limit=WAVES)
        pending = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE org_id = $1 AND state = 'pending'", org_id
        )
    assert pending == 0  # no mail goes out for history
    assert len(platform.waves) == WAVES

    def scores(trend: object) -> list[float]:
        series = trend.series[0]  # type: ignore[attr-defined]
        return [p.result.score for p in series.points if p.result.published]

    up, down = scores(platform), scores(mobile)
    assert len(up) == WAVES and up[-1] - up[0] > 20
    assert len(down) == WAVES and down[0] - down[-1] > 20
    assert any(p.change == "up" for s in platform.series for p in s.points)
    # Design (3 people) is reported together with Data (7) in every wave, and Data is no longer
    # hidden as Design's complement: both pages show "Data & Design".
    for trend in (design, data):
        assert {(w.group, w.pooled) for w in trend.waves} == {("Data & Design", True)}
        assert all(w.respondents for w in trend.waves)
