"""Who leads which team, and who is an admin: the roles the leaders' console signs people in by.

A leader sees, in the console, what a leader API key scoped to the teams they lead would see;
an admin person sees the whole org. Only admin API keys change or read these roles (they name
people, which leader keys never see). The CSV import's `leads` column adds leaders in bulk
(importer.py). Every change of a role is logged
(service/audit.py).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import asyncpg
import msgspec

from ...audit import Actor, record
from ...errors import InvalidInput, NotFound
from . import queries


class LeadersIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    person_ids: Annotated[
        Annotated[list[UUID], msgspec.Meta(max_length=50)],
        msgspec.Meta(
            description=(
                "The people who lead the team, replacing the current list; empty removes every "
                "leader. At most 50"
            ),
            examples=[["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"]],
        ),
    ]


class Leader(msgspec.Struct, frozen=True):
    person_id: Annotated[
        UUID,
        msgspec.Meta(
            description="The leader's person id", examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"]
        ),
    ]
    email: Annotated[
        str,
        msgspec.Meta(
            description="The leader's email (where sign-in links go)", examples=["ann@example.com"]
        ),
    ]
    display_name: Annotated[
        str, msgspec.Meta(description="The leader's name", examples=["Ann de Vries"])
    ]
    active: Annotated[
        bool, msgspec.Meta(description="Whether the person is active", examples=[True])
    ]


class TeamLeaders(msgspec.Struct, frozen=True):
    team_id: Annotated[
        UUID,
        msgspec.Meta(description="The team", examples=["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"]),
    ]
    leaders: Annotated[list[Leader], msgspec.Meta(description="The people who lead it")]


class AdminIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    admin: Annotated[
        bool,
        msgspec.Meta(
            description="True makes the person a console admin; false takes that away",
            examples=[True],
        ),
    ]


class PersonRoles(msgspec.Struct, frozen=True):
    person_id: Annotated[
        UUID,
        msgspec.Meta(description="The person", examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"]),
    ]
    admin: Annotated[
        bool, msgspec.Meta(description="Whether the person is a console admin", examples=[False])
    ]
    leads: Annotated[
        list[UUID],
        msgspec.Meta(
            description="The teams the person leads",
            examples=[["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"]],
        ),
    ]


async def _live_team(conn: asyncpg.Connection, org_id: UUID, team_id: UUID) -> None:
    live = await conn.fetchval(queries.LIVE_TEAM, org_id, team_id)
    if live is None:
        raise NotFound("No such team.")
    if not live:
        raise InvalidInput("This team is archived; archived teams have no leaders.")


async def team_leaders(conn: asyncpg.Connection, org_id: UUID, team_id: UUID) -> TeamLeaders:
    if await conn.fetchval(queries.LIVE_TEAM, org_id, team_id) is None:
        raise NotFound("No such team.")
    rows = await conn.fetch(queries.TEAM_LEADERS, org_id, team_id)
    return TeamLeaders(
        team_id,
        [Leader(r["id"], r["email"], r["display_name"], r["active"]) for r in rows],
    )


async def set_team_leaders(
    conn: asyncpg.Connection, org_id: UUID, team_id: UUID, data: LeadersIn, *, actor: Actor
) -> TeamLeaders:
    """Replace the team's leaders with exactly these people of the org."""
    wanted = list(dict.fromkeys(data.person_ids))
    async with conn.transaction():
        await _live_team(conn, org_id, team_id)
        found = {r["id"] for r in await conn.fetch(queries.PEOPLE_OF_ORG, org_id, wanted)}
        missing = [str(p) for p in wanted if p not in found]
        if missing:
            # Another org's person looks exactly like a person that does not exist.
            raise InvalidInput(f"Not people of this org: {', '.join(missing)}.")
        await conn.execute(queries.CLEAR_LEADERS, org_id, team_id, wanted)
        await conn.execute(queries.ADD_LEADERS, org_id, team_id, wanted)
        await record(conn, actor, "team.leaders", "team", team_id, {"person_ids": wanted})
    return await team_leaders(conn, org_id, team_id)


async def set_admin(
    conn: asyncpg.Connection, org_id: UUID, person_id: UUID, admin: bool, *, actor: Actor
) -> PersonRoles:
    async with conn.transaction():
        if await conn.fetchrow(queries.SET_ADMIN, org_id, person_id, admin) is None:
            raise NotFound("No such person.")
        await record(conn, actor, "person.admin", "person", person_id, {"admin": admin})
    return await person_roles(conn, org_id, person_id)


async def person_roles(conn: asyncpg.Connection, org_id: UUID, person_id: UUID) -> PersonRoles:
    row = await conn.fetchrow(queries.PERSON_ROLES, org_id, person_id)
    if row is None:
        raise NotFound("No such person.")
    return PersonRoles(row["id"], row["admin"], list(row["leads"]))
