"""The org chart: teams as a tree (create, rename, move, archive; flat and tree listings),
and each team's "report with" choice for the reporting plan.

Admin keys read and write their whole org. Leader keys read the teams of their subtrees and
write nothing (routes.py decides who may call what; these functions take the teams a caller may
see). Every change to the shape of the tree takes the org's directory lock, so two concurrent
moves cannot build a cycle between them. Every change is logged (service/audit.py) in its own
transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

import asyncpg

from ...audit import Actor, record
from ...errors import Conflict, InvalidInput, NotFound
from . import queries
from .models import TeamIn, TeamNode, TeamOut, TeamPage


async def lock_directory(conn: asyncpg.Connection, org_id: UUID) -> None:
    """Serialise changes to an org's tree (moves, imports) until the transaction ends."""
    await conn.execute(queries.LOCK_DIRECTORY, org_id)


def _team(row: asyncpg.Record | None) -> TeamOut:
    assert row is not None
    return TeamOut(
        row["id"],
        row["name"],
        row["parent_id"],
        row["archived"],
        row["created_at"],
        row["report_with"],
    )


async def require_live_team(
    conn: asyncpg.Connection, org_id: UUID, team_id: UUID, role: str
) -> None:
    """400 unless the team exists in the org and is not archived (`role` names it in messages)."""
    archived = await conn.fetchval(queries.TEAM_ARCHIVED, org_id, team_id)
    if archived is None:
        raise InvalidInput(f"The {role} {team_id} is not a team of this org.")
    if archived:
        raise InvalidInput(f"The {role} {team_id} is archived.")


def _name_taken() -> Conflict:
    return Conflict("A team with this name already exists under the same parent.")


async def create_team(
    conn: asyncpg.Connection, org_id: UUID, data: TeamIn, *, actor: Actor
) -> TeamOut:
    async with conn.transaction():
        await lock_directory(conn, org_id)
        if data.parent_id is not None:
            await require_live_team(conn, org_id, data.parent_id, "parent")
        try:
            row = await conn.fetchrow(
                queries.INSERT_TEAM, org_id, data.parent_id, data.name.strip() or data.name
            )
        except asyncpg.UniqueViolationError:
            raise _name_taken() from None
        team = _team(row)
        details = {"name": team.name, "parent_id": team.parent_id}
        await record(conn, actor, "team.create", "team", team.id, details)
    return team


async def get_team(conn: asyncpg.Connection, org_id: UUID, team_id: UUID) -> TeamOut:
    row = await conn.fetchrow(queries.GET_TEAM, org_id, team_id)
    if row is None:
        raise NotFound("No such team.")
    return _team(row)


async def rename_team(
    conn: asyncpg.Connection, org_id: UUID, team_id: UUID, name: str, *, actor: Actor
) -> TeamOut:
    async with conn.transaction():
        try:
            row = await conn.fetchrow(queries.RENAME_TEAM, org_id, team_id, name.strip() or name)
        except asyncpg.UniqueViolationError:
            raise _name_taken() from None
        if row is None:
            raise NotFound("No such team.")
        await record(conn, actor, "team.rename", "team", team_id, {"name": row["name"]})
    return _team(row)


async def move_team(
    conn: asyncpg.Connection, org_id: UUID, team_id: UUID, parent_id: UUID | None, *, actor: Actor
) -> TeamOut:
    """Give a team a new parent (or none); refuse anything that would close a loop."""
    async with conn.transaction():
        await lock_directory(conn, org_id)
        await get_team(conn, org_id, team_id)
        if parent_id is not None:
            if parent_id == team_id:
                raise Conflict("A team cannot be its own parent.")
            await require_live_team(conn, org_id, parent_id, "parent")
            if await conn.fetchval(queries.IS_IN_SUBTREE, org_id, team_id, parent_id):
                raise Conflict(
                    "This move would make a cycle: the new parent lies inside the team's "
                    "own subtree."
                )
        try:
            row = await conn.fetchrow(queries.MOVE_TEAM, org_id, team_id, parent_id)
        except asyncpg.UniqueViolationError:
            raise _name_taken() from None
        await record(conn, actor, "team.move", "team", team_id, {"parent_id": parent_id})
    return _team(row)


async def set_report_with(
    conn: asyncpg.Connection, org_id: UUID, team_id: UUID, choice: UUID | None, *, actor: Actor
) -> TeamOut:
    """Choose whom a team is reported together with when it has fewer than k people (a
    sibling or its parent in today's tree), or clear the choice (None). Refused choices
    change nothing; waves already opened keep the groups they were planned with."""
    async with conn.transaction():
        await lock_directory(conn, org_id)  # the tree cannot change under the check
        team = await conn.fetchrow(queries.TEAM_PLACE, org_id, team_id)
        if team is None:
            raise NotFound("No such team.")
        if choice is not None:
            if team["archived"]:
                raise InvalidInput(f"{team['name']} is archived; it is no longer reported.")
            if choice == team_id:
                raise InvalidInput("A team cannot be reported together with itself.")
            chosen = await conn.fetchrow(queries.TEAM_PLACE, org_id, choice)
            if chosen is None:
                raise InvalidInput(f"report_with: {choice} is not a team of this org.")
            if chosen["archived"]:
                raise InvalidInput(f"report_with: {chosen['name']} is archived.")
            if team["parent_id"] is None:
                raise InvalidInput(
                    f"{team['name']} is a top-level team: it has no parent or sibling to be "
                    "reported together with."
                )
            if choice != team["parent_id"] and chosen["parent_id"] != team["parent_id"]:
                raise InvalidInput(
                    f"report_with: {team['name']} can be reported together with its parent or "
                    f"a sibling (a team under the same parent); {chosen['name']} is neither."
                )
        row = await conn.fetchrow(queries.SET_REPORT_WITH, org_id, team_id, choice)
        await record(
            conn,
            actor,
            "team.report_with",
            "team",
            team_id,
            {"report_with": None if choice is None else str(choice)},
        )
    return _team(row)


async def archive_team(
    conn: asyncpg.Connection, org_id: UUID, team_id: UUID, *, actor: Actor
) -> TeamOut:
    """Archive an emptied team; live sub-teams or active people must be moved away first."""
    async with conn.transaction():
        await lock_directory(conn, org_id)
        team = await get_team(conn, org_id, team_id)
        if team.archived:
            return team
        children = await conn.fetchval(queries.COUNT_LIVE_CHILDREN, org_id, team_id)
        members = await conn.fetchval(queries.COUNT_ACTIVE_MEMBERS, org_id, team_id)
        if children or members:
            raise Conflict(
                f"The team still has {children} live sub-team(s) and {members} active "
                "member(s); move or deactivate them before archiving it."
            )
        row = await conn.fetchrow(queries.ARCHIVE_TEAM, org_id, team_id)
        await record(conn, actor, "team.archive", "team", team_id)
    return _team(row)


async def list_teams(
    conn: asyncpg.Connection,
    org_id: UUID,
    visible: Collection[UUID],
    *,
    include_archived: bool,
    limit: int,
    offset: int,
) -> TeamPage:
    """One page of the `visible` teams, by name."""
    ids = list(visible)
    rows = await conn.fetch(queries.LIST_TEAMS_PAGE, org_id, ids, include_archived, limit, offset)
    # Past the last page the window count has no row to ride on; count separately then.
    total = (
        rows[0]["total"]
        if rows
        else await conn.fetchval(queries.COUNT_TEAMS, org_id, ids, include_archived)
    )
    return TeamPage([_team(r) for r in rows], total, limit, offset)


async def team_tree(
    conn: asyncpg.Connection,
    org_id: UUID,
    visible: Collection[UUID],
    *,
    include_archived: bool,
    roots: set[UUID] | None = None,
) -> list[TeamNode]:
    """The `visible` teams as a tree; `roots` picks the top nodes (see build_tree)."""
    rows = await conn.fetch(queries.LIST_TEAMS, org_id, list(visible), include_archived)
    return build_tree([_team(r) for r in rows], roots)


def build_tree(teams: list[TeamOut], roots: set[UUID] | None = None) -> list[TeamNode]:
    """Nest a flat list; `roots` picks the top nodes (default: teams without a listed parent)."""
    ids = {t.id for t in teams}
    kids: dict[UUID | None, list[TeamOut]] = {}
    for t in sorted(teams, key=lambda t: (t.name.lower(), t.id)):
        kids.setdefault(t.parent_id, []).append(t)

    def node(t: TeamOut) -> TeamNode:
        return TeamNode(t.id, t.name, t.archived, [node(c) for c in kids.get(t.id, [])])

    tops = [
        t
        for t in sorted(teams, key=lambda t: (t.name.lower(), t.id))
        if (t.id in roots if roots is not None else t.parent_id not in ids)
    ]
    return [node(t) for t in tops]
