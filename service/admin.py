"""Admin routes of the core: the caller's org and its API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.di import Provide

from . import queries
from .auth import Principal, Role, create_key, provide_principal
from .errors import InvalidInput, NotFound

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class OrgOut(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    created_at: datetime


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


class AdminController(Controller):
    path = "/api/v1"
    tags = ["admin"]
    dependencies = {"who": Provide(provide_principal)}

    @get("/org", summary="The caller's org")
    async def org(self, state: State, who: Principal) -> OrgOut:
        row = await state.pool.fetchrow(queries.ORG, who.org_id)
        return OrgOut(**dict(row))

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
            key_id, key = await create_key(
                conn, who.org_id, data.name, data.role, list(data.scope_team_ids)
            )
        return NewKey(id=key_id, key=key)

    @delete("/keys/{key_id:uuid}", summary="Revoke an API key (admin)")
    async def revoke(self, state: State, who: Principal, key_id: UUID) -> None:
        who.require_admin()
        done = await state.pool.fetchval(
            queries.REVOKE_KEY,
            who.org_id,
            key_id,
        )
        if not done:
            raise NotFound("No such key.")


ROUTES = [AdminController]
