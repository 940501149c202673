"""Admin API routes for the console's roles: a team's leaders, a person's admin flag."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, get, put
from litestar.datastructures import State
from litestar.di import Provide

from ...audit import Actor
from ...auth import Principal, provide_principal
from .leaders import (
    AdminIn,
    LeadersIn,
    PersonRoles,
    TeamLeaders,
    person_roles,
    set_admin,
    set_team_leaders,
    team_leaders,
)


class LeaderController(Controller):
    path = "/api/v1"
    tags = ["directory"]
    dependencies = {"who": Provide(provide_principal)}

    @get(
        "/teams/{team_id:uuid}/leaders",
        description=(
            "The people who lead a team: they sign in to the console and see its guarded results "
            "(and those of every team below it)."
        ),
        summary="Who leads a team (admin)",
    )
    async def get_leaders(self, state: State, who: Principal, team_id: UUID) -> TeamLeaders:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await team_leaders(conn, who.org_id, team_id)

    @put(
        "/teams/{team_id:uuid}/leaders",
        description=(
            "Sets who leads a team, replacing the whole list (an empty list removes every "
            "leader). Each person must belong to the org. Logged in the audit log."
        ),
        summary="Set who leads a team (admin; replaces the list)",
    )
    async def put_leaders(
        self, state: State, who: Principal, team_id: UUID, data: LeadersIn
    ) -> TeamLeaders:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await set_team_leaders(conn, who.org_id, team_id, data, actor=Actor.of_key(who))

    @get(
        "/people/{person_id:uuid}/roles",
        description=(
            "What a person may do in the console: the teams they lead and whether they are a "
            "console admin."
        ),
        summary="A person's console roles (admin)",
    )
    async def get_roles(self, state: State, who: Principal, person_id: UUID) -> PersonRoles:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await person_roles(conn, who.org_id, person_id)

    @put(
        "/people/{person_id:uuid}/admin",
        description=("Makes a person a console admin, or no longer one. Logged in the audit log."),
        summary="Make a person a console admin or not (admin)",
    )
    async def put_admin(
        self, state: State, who: Principal, person_id: UUID, data: AdminIn
    ) -> PersonRoles:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await set_admin(conn, who.org_id, person_id, data.admin, actor=Actor.of_key(who))


LEADERS: list[Any] = [LeaderController]
