"""CSV exports: one charset on every CSV response."""

from __future__ import annotations

from typing import Any

import asyncpg

from tests.analytics_world import answered_wave, make_world
from tests.conftest import Org


async def test_csv_routes_send_exactly_one_charset(
    client: Any, app: Any, pool: asyncpg.Pool, org: Org
) -> None:
    teams, pulse_id = await make_world(pool, org.id, {"Platform": {}}, {"Platform": 6})
    wave = await answered_wave(pool, org.id, pulse_id, {teams["Platform"]: [5] * 6})
    urls = {
        "/api/v1/teams/{team_id:uuid}/trend.csv": f"/api/v1/teams/{teams['Platform']}/trend.csv",
        "/api/v1/waves/{wave_id:uuid}/heatmap.csv": f"/api/v1/waves/{wave}/heatmap.csv",
    }
    csv_routes = {
        route.path
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if "GET" in handler.http_methods
        and (route.path.endswith(".csv") or "csv" in str(handler.media_type))
    }
    assert csv_routes == set(urls), "a new CSV route: add it here"
    for url in urls.values():
        r = await client.get(url, headers=org.headers)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "text/csv; charset=utf-8", url
