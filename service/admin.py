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

    k: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(
            description=(
                "The lowest k (respondents behind any published number) a pulse of this org may use"
            ),
            examples=[5],
        ),
    ]
    comment_k: Annotated[
        Annotated[int, NOT_ABOUT_ANSWERS],
        msgspec.Meta(
            description=(
                "The lowest comment threshold a pulse of this org may use (responses before "
                "comments are shown)"
            ),
            examples=[10],
        ),
    ]
    changed_by: Annotated[
        str,
        msgspec.Meta(
            description="Who can change the floors: only the operator, on the command line",
            examples=["the operator, with `candor org floors`"],
        ),
    ] = "the operator, with `candor org floors`"


class OrgOut(msgspec.Struct, frozen=True):
    id: Annotated[
        UUID,
        msgspec.Meta(description="The org's id", examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"]),
    ]
    name: Annotated[str, msgspec.Meta(description="The org's name", examples=["Acme"])]
    created_at: Annotated[
        datetime,
        msgspec.Meta(description="When the org was created", examples=["2026-11-30T09:00:00Z"]),
    ]
    floors: Annotated[
        FloorsOut, msgspec.Meta(description="The org's anonymity floors (read-only here)")
    ]


class KeyIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: Annotated[
        Name,
        msgspec.Meta(
            description="A name to recognise the key by, e.g. who or what uses it",
            examples=["Platform lead"],
        ),
    ]
    role: Annotated[
        Role,
        msgspec.Meta(
            description=(
                "`admin`: reads and changes everything of the org; `leader`: reads the teams in "
                "`scope_team_ids` and below them, changes nothing, never sees a person"
            ),
            examples=["leader"],
        ),
    ]
    scope_team_ids: Annotated[
        Annotated[list[UUID], msgspec.Meta(max_length=100)],
        msgspec.Meta(
            description=(
                "For a leader key, the teams it may read (with every team below them); empty for "
                "an admin key. At most 100"
            ),
            examples=[["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"]],
        ),
    ] = []


class KeyOut(msgspec.Struct, frozen=True):
    id: Annotated[
        UUID,
        msgspec.Meta(
            description="The key's id (for DELETE /api/v1/keys/{key_id})",
            examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"],
        ),
    ]
    name: Annotated[str, msgspec.Meta(description="The key's name", examples=["Platform lead"])]
    prefix: Annotated[
        str,
        msgspec.Meta(
            description=(
                "The first characters of the key, to recognise it; the key itself is never shown "
                "again"
            ),
            examples=["cnd_AbCdEfGh"],
        ),
    ]
    role: Annotated[Role, msgspec.Meta(description="`admin` or `leader`", examples=["leader"])]
    scope_team_ids: Annotated[
        list[UUID],
        msgspec.Meta(
            description="For a leader key, the teams it may read (and every team below them)",
            examples=[["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"]],
        ),
    ]
    created_at: Annotated[
        datetime,
        msgspec.Meta(description="When the key was created", examples=["2026-11-30T09:00:00Z"]),
    ]
    revoked_at: Annotated[
        datetime | None,
        msgspec.Meta(description="When the key was revoked; null while it works", examples=[None]),
    ]


class NewKey(msgspec.Struct, frozen=True):
    id: Annotated[
        UUID,
        msgspec.Meta(
            description="The new key's id", examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"]
        ),
    ]
    key: Annotated[
        str,
        msgspec.Meta(
            description=(
                "The key itself, to send as `Authorization: Bearer <key>`. Shown only in this "
                "answer"
            ),
            examples=["cnd_AbCdEfGh_9sK2pQ7vX4mN1bR8tY3wZ6uE0iO5aL"],
        ),
    ]
    note: Annotated[
        str,
        msgspec.Meta(
            description="A reminder that the key is shown only once",
            examples=["Store this key now; it is shown only once."],
        ),
    ] = "Store this key now; it is shown only once."


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

    @get(
        "/org",
        description=(
            "The org the key belongs to: its id, name, creation time and its anonymity floors "
            "(the lowest k and comment_k its pulses may use). The floors are read-only here; only"
            " the operator changes them, on the command line."
        ),
        summary="The caller's org",
    )
    async def org(self, state: State, who: Principal) -> OrgOut:
        row = await state.pool.fetchrow(queries.ORG, who.org_id)
        floors = FloorsOut(row["floor_k"], row["floor_comment_k"])
        return OrgOut(row["id"], row["name"], row["created_at"], floors)

    @get(
        "/keys",
        description=(
            "Every API key of the org, revoked ones included: name, role, the first characters of"
            " the key (to recognise it), the teams a leader key is scoped to, and when it was "
            "created or revoked. The keys themselves are never shown again."
        ),
        summary="List API keys (admin)",
    )
    async def list_keys(self, state: State, who: Principal) -> list[KeyOut]:
        who.require_admin()
        rows = await state.pool.fetch(queries.LIST_KEYS, who.org_id)
        return [KeyOut(**dict(r)) for r in rows]

    @post(
        "/keys",
        description=(
            "Creates an admin key (the whole org) or a leader key (read-only, limited to "
            "`scope_team_ids` and every team below them). The answer holds the key itself once; "
            "only a hash is stored, so a lost key is revoked and replaced. Logged in the audit "
            "log."
        ),
        summary="Create an API key (admin); the key is returned once",
    )
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

    @delete(
        "/keys/{key_id:uuid}",
        description=(
            "Revokes a key at once: requests carrying it get 401 from then on. The key stays "
            "listed as revoked. Logged in the audit log."
        ),
        summary="Revoke an API key (admin)",
    )
    async def revoke(self, state: State, who: Principal, key_id: UUID) -> None:
        who.require_admin()
        async with state.pool.acquire() as conn:
            done = await revoke_key(conn, Actor.of_key(who), key_id)
        if not done:
            raise NotFound("No such key.")


ROUTES = [AdminController]
