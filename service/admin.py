"""Admin routes of the core: the caller's org (with its floors, read-only) and its API keys.

Making and revoking a key is audited (service/audit.py); `issue_key` and `revoke_key` are also
what the CLI's key commands call.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.di import Provide

from . import queries
from .audit import Actor, record
from .auth import Principal, Role, create_key, provide_principal
from .errors import InvalidInput, NotFound
from .guard import NOT_ABOUT_ANSWERS

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class FloorsOut(msgspec.Struct, frozen=True):
    """The lowest k and comment_k any pulse of the org may use; the operator sets them (CLI)."""

    k: Annotated[int, NOT_ABOUT_ANSWERS]
    comment_k: Annotated[int, NOT_ABOUT_ANSWERS]
    changed_by: str = "the operator, with `candor org floors`"


class OrgOut(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    created_at: datetime
    floors: FloorsOut


class KeyIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: Name
    role: Role
    scope_team_ids: Annotated[list[UUID], msgspec.Meta(max_length=100)] = []


class KeyOut(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    prefix: str
    role: Role
    scope_team_ids: list[UUID]
    created_at: datetime
    revoked_at: datetime | None


class NewKey(msgspec.Struct, frozen=True):
    id: UUID
    key: str
    note: str = "Store this key now; it is shown only once."


async def issue_key(
    conn: asyncpg.Connection,
    actor: Actor,
    name: str,
    role: Role,
    scope_team_ids: list[UUID] | None = None,
) -> tuple[UUID, str]:
    """Create a key in the actor's org and log it, in the caller's transaction."""
    key_id, key = await create_key(conn, actor.org_id, name, role, scope_team_ids)
    details = {"role": role, "scope_team_ids": list(scope_team_ids or [])}
    await record(conn, actor, "key.create", "api_key", key_id, details)
    return key_id, key


async def revoke_key(conn: asyncpg.Connection, actor: Actor, key_id: UUID) -> bool:
    """Revoke a key of the actor's org (idempotent; logged once); False when there is none."""
    async with conn.transaction():
        live = await conn.fetchval(queries.KEY_LIVE_FOR_UPDATE, actor.org_id, key_id)
        if live is None:
            return False
        if live:
            await conn.execute(queries.REVOKE_KEY, actor.org_id, key_id)
            await record(conn, actor, "key.revoke", "api_key", key_id)
    return True


class AdminController(Controller):
    path = "/api/v1"
    tags = ["admin"]
    dependencies = {"who": Provide(provide_principal)}

    @get("/org", summary="The caller's org")
    async def org(self, state: State, who: Principal) -> OrgOut:
        row = await state.pool.fetchrow(queries.ORG, who.org_id)
        floors = FloorsOut(row["floor_k"], row["floor_comment_k"])
        return OrgOut(row["id"], row["name"], row["created_at"], floors)

    @get("/keys", summary="List API keys (admin)")
    async def list_keys(self, state: State, who: Principal) -> list[KeyOut]:
        who.require_admin()
        rows = await state.pool.fetch(queries.LIST_KEYS, who.org_id)
        return [KeyOut(**dict(r)) for r in rows]

    @post("/keys", summary="Create an API key (admin); the key is returned once")
    async def create(self, state: State, who: Principal, data: KeyIn) -> NewKey:
        who.require_admin()
        if data.role == "leader" and not data.scope_team_ids:
            raise InvalidInput("A leader key needs at least one team in scope_team_ids.")
        if data.role == "admin" and data.scope_team_ids:
            raise InvalidInput("An admin key sees the whole org; leave scope_team_ids empty.")
        async with state.pool.acquire() as conn, conn.transaction():
            if data.scope_team_ids:
                found = await conn.fetchval(
                    queries.COUNT_TEAMS_OF_ORG,
                    who.org_id,
                    data.scope_team_ids,
                )
                if found != len(set(data.scope_team_ids)):
                    raise InvalidInput("Some scope_team_ids are not teams of this org.")
            key_id, key = await issue_key(
                conn, Actor.of_key(who), data.name, data.role, list(data.scope_team_ids)
            )
        return NewKey(id=key_id, key=key)

    @delete("/keys/{key_id:uuid}", summary="Revoke an API key (admin)")
    async def revoke(self, state: State, who: Principal, key_id: UUID) -> None:
        who.require_admin()
        async with state.pool.acquire() as conn:
            done = await revoke_key(conn, Actor.of_key(who), key_id)
        if not done:
            raise NotFound("No such key.")


ROUTES = [AdminController]
