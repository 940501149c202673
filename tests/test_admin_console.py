"""The admin console's door: admin persons get in, everyone else meets the 404 page."""

from __future__ import annotations

from typing import Any

import asyncpg

from service.console.sessions import COOKIE
from tests.factories import signed_in
from tests.worlds import console_world


async def test_only_an_admin_person_sees_the_admin_pages_and_menu(
    client: Any, pool: asyncpg.Pool
) -> None:
    w = await console_world(pool)
    admin = await signed_in(pool, w.org.id, w.admin)
    leader = await signed_in(pool, w.org.id, w.leader)
    r = await client.get("/console/admin", cookies={COOKIE: admin.cookie})
    assert r.status_code == 200 and "<h1>Admin</h1>" in r.text
    teams = await client.get("/console/teams", cookies={COOKIE: admin.cookie})
    assert 'href="/console/admin"' in teams.text
    r = await client.get("/console/admin", cookies={COOKIE: leader.cookie})
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    teams = await client.get("/console/teams", cookies={COOKIE: leader.cookie})
    assert 'href="/console/admin"' not in teams.text
    r = await client.get("/console/admin", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/console/sign-in")
