"""The org chart: teams as a tree (create, rename, move, archive; flat and tree listings).

Admin keys read and write their whole org. Leader keys read the teams of their subtrees and
write nothing; anything outside a key's org or scope answers 404. Every change to the shape of
the tree takes the org's directory lock, so two concurrent moves cannot build a cycle between
them. People are in people.py; the types both share (Email, Locale, paging) are defined here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, get, patch, post
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import Parameter

from ...apidoc import problems
from ...auth import Principal, provide_principal, require_team_in_scope, visible_team_ids
from ...errors import Conflict, InvalidInput, NotFound

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
# Deliberately loose: one @, no spaces, a dot in the domain. Deliverability is the mail
# server's business; this only catches the typos and column mix-ups of a spreadsheet.
EMAIL_PATTERN = r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>.]+$"
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254, pattern=EMAIL_PATTERN)]
Locale = Literal["en", "nl"]
Limit = Annotated[int, Parameter(ge=1, le=500)]
Offset = Annotated[int, Parameter(ge=0, le=10_000_000)]


async def lock_directory(conn: asyncpg.Connection, org_id: UUID) -> None:
    """Serialise changes to an org's tree (moves, imports) until the transaction ends."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('candor-directory:' || $1::uuid::text))", org_id
    )


# --- teams -----------------------------------------------------------------------------------


class TeamIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: Name
    parent_id: UUID | None = None


class TeamRename(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: Name


class TeamMove(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    parent_id: UUID | None  # None makes the team a root


class TeamOut(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    parent_id: UUID | None
    archived: bool
    created_at: datetime


class TeamNode(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    archived: bool
    children: list[TeamNode]


class TeamPage(msgspec.Struct, frozen=True):
    items: list[TeamOut]
    total: int
    limit: int
    offset: int


_TEAM_COLS = "id, name, parent_id, archived_at IS NOT NULL AS archived, created_at"


def _team(row: asyncpg.Record | None) -> TeamOut:
    assert row is not None
    return TeamOut(row["id"], row["name"], row["parent_id"], row["archived"], row["created_at"])


async def require_live_team(
    conn: asyncpg.Connection, org_id: UUID, team_id: UUID, role: str
) -> None:
    """400 unless the team exists in the org and is not archived (`role` names it in messages)."""
    archived = await conn.fetchval(
        "SELECT archived_at IS NOT NULL FROM teams WHERE org_id = $1 AND id = $2", org_id, team_id
    )
    if archived is None:
        raise InvalidInput(f"The {role} {team_id} is not a team of this org.")
    if archived:
        raise InvalidInput(f"The {role} {team_id} is archived.")


def _name_taken(exc: asyncpg.UniqueViolationError) -> Conflict:
    return Conflict("A team with this name already exists under the same parent.")


async def create_team(conn: asyncpg.Connection, org_id: UUID, data: TeamIn) -> TeamOut:
    async with conn.transaction():
        await lock_directory(conn, org_id)
        if data.parent_id is not None:
            await require_live_team(conn, org_id, data.parent_id, "parent")
        try:
            row = await conn.fetchrow(
                f"""INSERT INTO teams (org_id, parent_id, name) VALUES ($1, $2, $3)
                    RETURNING {_TEAM_COLS}""",
                org_id,
                data.parent_id,
                data.name.strip() or data.name,
            )
        except asyncpg.UniqueViolationError as exc:
            raise _name_taken(exc) from None
    return _team(row)


async def _get_team(conn: asyncpg.Connection, org_id: UUID, team_id: UUID) -> TeamOut:
    row = await conn.fetchrow(
        f"SELECT {_TEAM_COLS} FROM teams WHERE org_id = $1 AND id = $2", org_id, team_id
    )
    if row is None:
        raise NotFound("No such team.")
    return _team(row)


async def rename_team(conn: asyncpg.Connection, org_id: UUID, team_id: UUID, name: str) -> TeamOut:
    try:
        row = await conn.fetchrow(
            f"UPDATE teams SET name = $3 WHERE org_id = $1 AND id = $2 RETURNING {_TEAM_COLS}",
            org_id,
            team_id,
            name.strip() or name,
        )
    except asyncpg.UniqueViolationError as exc:
        raise _name_taken(exc) from None
    if row is None:
        raise NotFound("No such team.")
    return _team(row)


_IS_DESCENDANT = """
WITH RECURSIVE below AS (
    SELECT id FROM teams WHERE org_id = $1 AND parent_id = $2
    UNION
    SELECT t.id FROM teams t JOIN below b ON t.parent_id = b.id WHERE t.org_id = $1
)
SELECT EXISTS (SELECT 1 FROM below WHERE id = $3)
"""


async def move_team(
    conn: asyncpg.Connection, org_id: UUID, team_id: UUID, parent_id: UUID | None
) -> TeamOut:
    """Give a team a new parent (or none); refuse anything that would close a loop."""
    async with conn.transaction():
        await lock_directory(conn, org_id)
        await _get_team(conn, org_id, team_id)
        if parent_id is not None:
            if parent_id == team_id:
                raise Conflict("A team cannot be its own parent.")
            await require_live_team(conn, org_id, parent_id, "parent")
            if await conn.fetchval(_IS_DESCENDANT, org_id, team_id, parent_id):
                raise Conflict(
                    "This move would make a cycle: the new parent lies inside the team's "
                    "own subtree."
                )
        try:
            row = await conn.fetchrow(
                f"""UPDATE teams SET parent_id = $3 WHERE org_id = $1 AND id = $2
                    RETURNING {_TEAM_COLS}""",
                org_id,
                team_id,
                parent_id,
            )
        except asyncpg.UniqueViolationError as exc:
            raise _name_taken(exc) from None
    return _team(row)


async def archive_team(conn: asyncpg.Connection, org_id: UUID, team_id: UUID) -> TeamOut:
    """Archive an emptied team; live sub-teams or active people must be moved away first."""
    async with conn.transaction():
        await lock_directory(conn, org_id)
        team = await _get_team(conn, org_id, team_id)
        if team.archived:
            return team
        children = await conn.fetchval(
            """SELECT count(*) FROM teams
               WHERE org_id = $1 AND parent_id = $2 AND archived_at IS NULL""",
            org_id,
            team_id,
        )
        members = await conn.fetchval(
            "SELECT count(*) FROM people WHERE org_id = $1 AND team_id = $2 AND active",
            org_id,
            team_id,
        )
        if children or members:
            raise Conflict(
                f"The team still has {children} live sub-team(s) and {members} active "
                "member(s); move or deactivate them before archiving it."
            )
        row = await conn.fetchrow(
            f"""UPDATE teams SET archived_at = now() WHERE org_id = $1 AND id = $2
                RETURNING {_TEAM_COLS}""",
            org_id,
            team_id,
        )
    return _team(row)


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


class TeamController(Controller):
    path = "/api/v1"
    tags = ["directory"]
    dependencies = {"who": Provide(provide_principal)}

    @post("/teams", summary="Create a team (admin)", responses=problems(409))
    async def create_team(self, state: State, who: Principal, data: TeamIn) -> TeamOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await create_team(conn, who.org_id, data)

    @get("/teams", summary="List teams, flat and paginated (leaders: their subtrees)")
    async def list_teams(
        self,
        state: State,
        who: Principal,
        limit: Limit = 100,
        offset: Offset = 0,
        include_archived: bool = False,
    ) -> TeamPage:
        async with state.pool.acquire() as conn:
            visible = list(await visible_team_ids(conn, who))
            rows = await conn.fetch(
                f"""
                SELECT {_TEAM_COLS}, count(*) OVER () AS total FROM teams
                WHERE org_id = $1 AND id = ANY($2::uuid[]) AND ($3 OR archived_at IS NULL)
                ORDER BY lower(name), id LIMIT $4 OFFSET $5
                """,
                who.org_id,
                visible,
                include_archived,
                limit,
                offset,
            )
            total = (
                rows[0]["total"]
                if rows
                else await conn.fetchval(
                    """SELECT count(*) FROM teams WHERE org_id = $1 AND id = ANY($2::uuid[])
                   AND ($3 OR archived_at IS NULL)""",
                    who.org_id,
                    visible,
                    include_archived,
                )
            )
        return TeamPage([_team(r) for r in rows], total, limit, offset)

    @get("/teams/tree", summary="The team hierarchy as a tree (leaders: their subtrees)")
    async def team_tree(
        self, state: State, who: Principal, include_archived: bool = False
    ) -> list[TeamNode]:
        async with state.pool.acquire() as conn:
            visible = list(await visible_team_ids(conn, who))
            rows = await conn.fetch(
                f"""SELECT {_TEAM_COLS} FROM teams WHERE org_id = $1 AND id = ANY($2::uuid[])
                    AND ($3 OR archived_at IS NULL)""",
                who.org_id,
                visible,
                include_archived,
            )
        teams = [_team(r) for r in rows]
        roots = None if who.is_admin else set(who.scope_team_ids)
        return build_tree(teams, roots)

    @get("/teams/{team_id:uuid}", summary="One team")
    async def get_team(self, state: State, who: Principal, team_id: UUID) -> TeamOut:
        async with state.pool.acquire() as conn:
            await require_team_in_scope(conn, who, team_id)
            return await _get_team(conn, who.org_id, team_id)

    @patch("/teams/{team_id:uuid}", summary="Rename a team (admin)", responses=problems(409))
    async def rename_team(
        self, state: State, who: Principal, team_id: UUID, data: TeamRename
    ) -> TeamOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await rename_team(conn, who.org_id, team_id, data.name)

    @post(
        "/teams/{team_id:uuid}/move",
        summary="Move a team under another parent (admin)",
        status_code=200,
        responses=problems(409),
    )
    async def move_team(
        self, state: State, who: Principal, team_id: UUID, data: TeamMove
    ) -> TeamOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await move_team(conn, who.org_id, team_id, data.parent_id)

    @post(
        "/teams/{team_id:uuid}/archive",
        summary="Archive an empty team (admin)",
        status_code=200,
        responses=problems(409),
    )
    async def archive_team(self, state: State, who: Principal, team_id: UUID) -> TeamOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await archive_team(conn, who.org_id, team_id)


ROUTES = [TeamController]
