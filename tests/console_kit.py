"""The demo org as a console world: eight closed rounds, a Product lead and an admin, sessions.

`console_world()` seeds the demo history (real open_wave / close_wave, real rollups) into a
fresh org and marks the demo's console roles; `signed_in()` starts a session the way a used
sign-in link does and returns the cookie and the CSRF token its forms carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from service.console.sessions import COOKIE, load_session, start_session
from service.demo import seed_console_roles, seed_history
from tests.conftest import TEST_SECRET, Org, make_org


@dataclass(frozen=True)
class ConsoleWorld:
    org: Org
    teams: dict[str, UUID]
    leader: UUID  # leads Product (Platform, Mobile, Data, Design below it)
    admin: UUID


@dataclass(frozen=True)
class Signed:
    cookie: str
    csrf: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Cookie": f"{COOKIE}={self.cookie}"}


async def console_world(pool: asyncpg.Pool, name: str = "Demo Co") -> ConsoleWorld:
    org = await make_org(pool, name)
    async with pool.acquire() as conn:
        await seed_history(conn, org.id, TEST_SECRET)
        roles = await seed_console_roles(conn, org.id)
    rows = await pool.fetch("SELECT name, id FROM teams WHERE org_id = $1", org.id)
    return ConsoleWorld(
        org, {r["name"]: r["id"] for r in rows}, roles["leader_id"], roles["admin_id"]
    )


async def signed_in(pool: asyncpg.Pool, org_id: UUID, person_id: UUID) -> Signed:
    async with pool.acquire() as conn:
        now = datetime.now(UTC)
        value = await start_session(conn, org_id, person_id, now)
        session = await load_session(conn, value, now)
    assert session is not None
    return Signed(value, session.csrf)


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)
