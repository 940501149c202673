"""The directory's HTTP routes: teams, people, the CSV import and who leads what.

Handlers only check who may call them, parse, call teams.py / people.py / importer.py and
return what those give back. Anything outside a key's org or scope answers 404. Leader keys
read the teams of their subtrees and nothing else: never a person, never a write.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, patch, post, put
from litestar.datastructures import State
from litestar.di import Provide

from ...apidoc import problems
from ...audit import Actor
from ...auth import Principal, provide_principal, require_team_in_scope, visible_team_ids
from ...errors import UnsupportedMediaType
from . import importer, people, teams
from .import_docs import IMPORT_CSV
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
from .models import (
    ImportReport,
    Limit,
    Offset,
    PersonIn,
    PersonOut,
    PersonPage,
    PersonPatch,
    TeamIn,
    TeamMove,
    TeamNode,
    TeamOut,
    TeamPage,
    TeamRename,
    TeamReportWith,
)


class TeamController(Controller):
    path = "/api/v1"
    tags = ["directory"]
    dependencies = {"who": Provide(provide_principal)}

    @post(
        "/teams",
        description=(
            "Creates a team under `parent_id` (or as a root when it is null). Names are unique "
            "among siblings, ignoring case (409 otherwise)."
        ),
        summary="Create a team (admin)",
        responses=problems(409),
    )
    async def create_team(self, state: State, who: Principal, data: TeamIn) -> TeamOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await teams.create_team(conn, who.org_id, data, actor=Actor.of_key(who))

    @get(
        "/teams",
        description=(
            "The org's teams as a flat list, paginated with `limit` and `offset`; archived teams "
            "only with `include_archived=true`. A leader key sees the teams of its scope and "
            "every team below them."
        ),
        summary="List teams, flat and paginated (leaders: their subtrees)",
    )
    async def list_teams(
        self,
        state: State,
        who: Principal,
        limit: Limit = 100,
        offset: Offset = 0,
        include_archived: bool = False,
    ) -> TeamPage:
        async with state.pool.acquire() as conn:
            visible = await visible_team_ids(conn, who)
            return await teams.list_teams(
                conn,
                who.org_id,
                visible,
                include_archived=include_archived,
                limit=limit,
                offset=offset,
            )

    @get(
        "/teams/tree",
        description=(
            "The team hierarchy, nested: each node with its children. A leader key gets the "
            "subtrees of its scope."
        ),
        summary="The team hierarchy as a tree (leaders: their subtrees)",
    )
    async def team_tree(
        self, state: State, who: Principal, include_archived: bool = False
    ) -> list[TeamNode]:
        async with state.pool.acquire() as conn:
            visible = await visible_team_ids(conn, who)
            return await teams.team_tree(
                conn,
                who.org_id,
                visible,
                include_archived=include_archived,
                roots=None if who.is_admin else set(who.scope_team_ids),
            )

    @get(
        "/teams/{team_id:uuid}",
        description=(
            "One team: name, parent, whether it is archived, and the team it is reported together"
            " with while it has fewer than k people (`report_with`). 404 outside the key's org or"
            " scope."
        ),
        summary="One team",
    )
    async def get_team(self, state: State, who: Principal, team_id: UUID) -> TeamOut:
        async with state.pool.acquire() as conn:
            await require_team_in_scope(conn, who, team_id)
            return await teams.get_team(conn, who.org_id, team_id)

    @patch(
        "/teams/{team_id:uuid}",
        description=(
            "Renames a team. The new name must be unique among its siblings, ignoring case (409 "
            "otherwise). Past waves keep the tree they froze when they opened."
        ),
        summary="Rename a team (admin)",
        responses=problems(409),
    )
    async def rename_team(
        self, state: State, who: Principal, team_id: UUID, data: TeamRename
    ) -> TeamOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await teams.rename_team(
                conn, who.org_id, team_id, data.name, actor=Actor.of_key(who)
            )

    @put(
        "/teams/{team_id:uuid}/report-with",
        summary="Choose whom a small team is reported together with (admin); null clears it",
        description=(
            "When a team has fewer than k people, a wave reports it together with another "
            "group. `report_with` picks that group: a sibling team or the parent (its own "
            "members). Waves already opened keep their groups; "
            "GET /api/v1/pulses/{id}/preview shows what the next wave would report."
        ),
    )
    async def set_report_with(
        self, state: State, who: Principal, team_id: UUID, data: TeamReportWith
    ) -> TeamOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await teams.set_report_with(
                conn, who.org_id, team_id, data.report_with, actor=Actor.of_key(who)
            )

    @post(
        "/teams/{team_id:uuid}/move",
        description=(
            "Moves a team, with everything below it, under another parent (`parent_id`; null "
            "makes it a root). A move into its own subtree is refused with 409. Past waves keep "
            "the tree they froze when they opened."
        ),
        summary="Move a team under another parent (admin)",
        status_code=200,
        responses=problems(409),
    )
    async def move_team(
        self, state: State, who: Principal, team_id: UUID, data: TeamMove
    ) -> TeamOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await teams.move_team(
                conn, who.org_id, team_id, data.parent_id, actor=Actor.of_key(who)
            )

    @post(
        "/teams/{team_id:uuid}/archive",
        description=(
            "Archives an empty team: move or deactivate its people and sub-teams first (409 says "
            "how many are left). An archived team keeps its history and takes no new people or "
            "pulses."
        ),
        summary="Archive an empty team (admin)",
        status_code=200,
        responses=problems(409),
    )
    async def archive_team(self, state: State, who: Principal, team_id: UUID) -> TeamOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await teams.archive_team(conn, who.org_id, team_id, actor=Actor.of_key(who))


class PeopleController(Controller):
    path = "/api/v1"
    tags = ["directory"]
    dependencies = {"who": Provide(provide_principal)}

    @post(
        "/people",
        description=(
            "Adds one person. The email is unique in the org, ignoring case (409 otherwise), and "
            "must be an address the mailer can send to. New people are active unless `active` is "
            "false."
        ),
        summary="Add a person (admin)",
        responses=problems(409),
    )
    async def create_person(self, state: State, who: Principal, data: PersonIn) -> PersonOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await people.create_person(conn, who.org_id, data, actor=Actor.of_key(who))

    # People are identity data: only admin keys read them. A leader key sees teams and guarded
    # numbers, never a person (a 404, as for anything outside a key's reach).
    @get(
        "/people",
        description=(
            "The org's people, paginated with `limit` and `offset`, optionally only one team's "
            "(`team_id`) or only active or inactive ones (`active`). Admin keys only: a leader "
            "key never sees a person."
        ),
        summary="List people, paginated (admin)",
    )
    async def list_people(
        self,
        state: State,
        who: Principal,
        limit: Limit = 100,
        offset: Offset = 0,
        team_id: UUID | None = None,
        active: bool | None = None,
    ) -> PersonPage:
        who.require_admin()
        async with state.pool.acquire() as conn:
            if team_id is not None:
                await require_team_in_scope(conn, who, team_id)
            return await people.list_people(
                conn, who.org_id, team_id=team_id, active=active, limit=limit, offset=offset
            )

    @get(
        "/people/{person_id:uuid}",
        description=(
            "One person: email, name, language, team and whether they are invited to pulses. "
            "Admin keys only."
        ),
        summary="One person (admin)",
    )
    async def get_person(self, state: State, who: Principal, person_id: UUID) -> PersonOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await people.get_person(conn, who.org_id, person_id)

    @patch(
        "/people/{person_id:uuid}",
        description=(
            'Changes any of a person\'s fields; fields left out stay as they are, and `"team_id": '
            "null` takes the person out of their team. The email stays unique in the org (409)."
        ),
        summary="Change a person (admin); team_id null = no team",
        responses=problems(409),
    )
    async def update_person(
        self, state: State, who: Principal, person_id: UUID, data: PersonPatch
    ) -> PersonOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await people.update_person(
                conn, who.org_id, person_id, data, actor=Actor.of_key(who)
            )

    @post(
        "/people/{person_id:uuid}/deactivate",
        description=(
            'Stops inviting a person to pulses. Their history stays; PATCH with `"active": true` '
            "invites them again."
        ),
        summary="Stop inviting a person (admin)",
        status_code=200,
    )
    async def deactivate_person(self, state: State, who: Principal, person_id: UUID) -> PersonOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await people.deactivate_person(
                conn, who.org_id, person_id, actor=Actor.of_key(who)
            )


def _require_csv(request: Request[Any, Any, Any]) -> None:
    media, _, params = request.headers.get("content-type", "").partition(";")
    if media.strip().lower() not in ("text/csv", "application/csv"):
        raise UnsupportedMediaType("Send the people file as 'Content-Type: text/csv' (UTF-8).")
    charset = dict(
        (k.strip().lower(), v.strip().strip('"').lower())
        for k, _, v in (p.partition("=") for p in params.split(";"))
        if k.strip()
    ).get("charset", "utf-8")
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType("Only UTF-8 CSV is accepted; save the file as UTF-8.")


class ImportController(Controller):
    path = "/api/v1"
    tags = ["directory"]
    dependencies = {"who": Provide(provide_principal)}

    @post(
        "/people/import",
        description=(
            "Loads the org chart from a UTF-8 CSV file sent as the body (`Content-Type: "
            "text/csv`): columns `email` and `display_name` (required), `locale`, `team` (a path "
            "of team names from a root, or a team id) and `active`. Upserts by email; missing "
            "teams are created unless `create_teams=false`; `deactivate_missing=true` deactivates"
            " everyone not in the file. All or nothing: any bad row answers 422 listing every "
            "problem by line and column, and nothing is written. `dry_run=true` does the same "
            "work and rolls it back, so its counts are exactly what a real import would do. At "
            "most 16 MiB and 100,000 people (413)."
        ),
        summary="Import people from CSV (admin); ?dry_run=true reports without writing",
        status_code=200,
        request_max_body_size=importer.MAX_IMPORT_BYTES,
        responses=problems(409, 413, 415, 422),
        operation_class=IMPORT_CSV,
    )
    async def import_csv(
        self,
        request: Request[Any, Any, Any],
        state: State,
        who: Principal,
        dry_run: bool = False,
        create_teams: bool = True,
        deactivate_missing: bool = False,
    ) -> ImportReport:
        who.require_admin()
        _require_csv(request)
        body = await request.body()
        async with state.pool.acquire() as conn:
            return await importer.import_people(
                conn,
                who.org_id,
                body,
                dry_run=dry_run,
                create_teams=create_teams,
                deactivate_missing=deactivate_missing,
                actor=Actor.of_key(who),
            )


TEAMS: list[Any] = [TeamController]
PEOPLE: list[Any] = [PeopleController]
IMPORT: list[Any] = [ImportController]


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
