"""The console's pages over HTTP: what a signed-in leader sees, in words, behind the same guard."""

from __future__ import annotations

from typing import Any

import asyncpg

from tests.console_kit import console_world, signed_in


async def test_a_leader_sees_their_teams_and_a_team_page(client: Any, pool: asyncpg.Pool) -> None:
    w = await console_world(pool)
    s = await signed_in(pool, w.org.id, w.leader)
    r = await client.get("/console/teams", headers=s.headers)
    assert r.status_code == 200, r.text
    assert "Product" in r.text
    r = await client.get(f"/console/teams/{w.teams['Product']}", headers=s.headers)
    assert r.status_code == 200, r.text
    for path in ("items", "talk", "focus"):
        r = await client.get(f"/console/teams/{w.teams['Product']}/{path}", headers=s.headers)
        assert r.status_code == 200, (path, r.text)
    r = await client.get("/console/heatmap", headers=s.headers)
    assert r.status_code == 200, r.text
    r = await client.get("/console/settings", headers=s.headers)
    assert r.status_code == 200, r.text
