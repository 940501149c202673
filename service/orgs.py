"""Creating an org: the org row, what each domain sets up for a new org, a first admin key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from uuid import UUID

import asyncpg

from . import queries
from .auth import create_key

OrgSetup = Callable[[asyncpg.Connection, UUID], Awaitable[None]]


async def create_org(
    conn: asyncpg.Connection, name: str, setup: Sequence[OrgSetup] = ()
) -> tuple[UUID, str]:
    """Create the org in the caller's transaction; return (org id, first admin key)."""
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise ValueError("an org name has 1 to 200 characters")
    org_id: UUID = await conn.fetchval(queries.INSERT_ORG, name)
    for step in setup:
        await step(conn, org_id)
    _, key = await create_key(conn, org_id, "first admin key", "admin")
    return org_id, key
