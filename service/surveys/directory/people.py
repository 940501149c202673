"""People of the org, as an admin API: add, change, deactivate, list with pagination.

Identity lives here and nowhere else: an email, a display name, a locale (en/nl), a team and
whether the person is invited at all (active). Emails are unique per org, ignoring case.
Leader keys read the people of their subtrees; anything else answers 404. Bulk loading is
importer.py's.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, get, patch, post
from litestar.datastructures import State
from litestar.di import Provide

from ...apidoc import problems
from ...auth import Principal, provide_principal, require_team_in_scope
from ...errors import Conflict, NotFound
from .teams import Email, Limit, Locale, Name, Offset, require_live_team


class PersonIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    email: Email
    display_name: Name
    locale: Locale = "en"
    team_id: UUID | None = None
    active: bool = True


class PersonPatch(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    email: Email | msgspec.UnsetType = msgspec.UNSET
    display_name: Name | msgspec.UnsetType = msgspec.UNSET
    locale: Locale | msgspec.UnsetType = msgspec.UNSET
    team_id: UUID | msgspec.UnsetType | None = msgspec.UNSET  # null: no team
    active: bool | msgspec.UnsetType = msgspec.UNSET


class PersonOut(msgspec.Struct, frozen=True):
    id: UUID
    email: str
    display_name: str
    locale: str
    team_id: UUID | None
    active: bool
    created_at: datetime
    updated_at: datetime


class PersonPage(msgspec.Struct, frozen=True):
    items: list[PersonOut]
    total: int
    limit: int
    offset: int


_PERSON_COLS = "id, email, display_name, locale, team_id, active, created_at, updated_at"


def _person(row: asyncpg.Record | None) -> PersonOut:
    assert row is not None
    return PersonOut(**dict(row))


def _email_taken() -> Conflict:
    return Conflict("Someone in this org already has this email address.")


async def create_person(conn: asyncpg.Connection, org_id: UUID, data: PersonIn) -> PersonOut:
    if data.team_id is not None:
        await require_live_team(conn, org_id, data.team_id, "team")
    try:
        row = await conn.fetchrow(
            f"""
            INSERT INTO people (org_id, email, display_name, locale, team_id, active)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_PERSON_COLS}
            """,
            org_id,
            data.email.strip(),
            data.display_name.strip() or data.display_name,
            data.locale,
            data.team_id,
            data.active,
        )
    except asyncpg.UniqueViolationError:
        raise _email_taken() from None
    return _person(row)


async def update_person(
    conn: asyncpg.Connection, org_id: UUID, person_id: UUID, data: PersonPatch
) -> PersonOut:
    changes = {
        f: getattr(data, f) for f in data.__struct_fields__ if getattr(data, f) is not msgspec.UNSET
    }
    if isinstance(changes.get("team_id"), UUID):
        await require_live_team(conn, org_id, changes["team_id"], "team")
    if "email" in changes:
        changes["email"] = changes["email"].strip()
    # Column names come from the Struct's own fields, never from the request.
    sets = ", ".join(f"{col} = ${i}" for i, col in enumerate(changes, start=3))
    sql = f"""UPDATE people SET {sets + ", " if sets else ""}updated_at = now()
              WHERE org_id = $1 AND id = $2 RETURNING {_PERSON_COLS}"""
    try:
        row = await conn.fetchrow(sql, org_id, person_id, *changes.values())
    except asyncpg.UniqueViolationError:
        raise _email_taken() from None
    if row is None:
        raise NotFound("No such person.")
    return _person(row)


async def _require_person_visible(
    conn: asyncpg.Connection, who: Principal, person_id: UUID
) -> PersonOut:
    row = await conn.fetchrow(
        f"SELECT {_PERSON_COLS} FROM people WHERE org_id = $1 AND id = $2", who.org_id, person_id
    )
    if row is None:
        raise NotFound("No such person.")
    return _person(row)


class PeopleController(Controller):
    path = "/api/v1"
    tags = ["directory"]
    dependencies = {"who": Provide(provide_principal)}

    @post("/people", summary="Add a person (admin)", responses=problems(409))
    async def create_person(self, state: State, who: Principal, data: PersonIn) -> PersonOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await create_person(conn, who.org_id, data)

    # People are identity data: only admin keys read them. A leader key sees teams and guarded
    # numbers, never a person (a 404, as for anything outside a key's reach).
    @get("/people", summary="List people, paginated (admin)")
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
            where = """org_id = $1 AND ($2::uuid IS NULL OR team_id = $2)
                       AND ($3::bool IS NULL OR active = $3)"""
            rows = await conn.fetch(
                f"""SELECT {_PERSON_COLS} FROM people WHERE {where}
                    ORDER BY lower(email), id LIMIT $4 OFFSET $5""",
                who.org_id,
                team_id,
                active,
                limit,
                offset,
            )
            total = await conn.fetchval(
                f"SELECT count(*) FROM people WHERE {where}", who.org_id, team_id, active
            )
        return PersonPage([_person(r) for r in rows], total, limit, offset)

    @get("/people/{person_id:uuid}", summary="One person (admin)")
    async def get_person(self, state: State, who: Principal, person_id: UUID) -> PersonOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await _require_person_visible(conn, who, person_id)

    @patch(
        "/people/{person_id:uuid}",
        summary="Change a person (admin); team_id null = no team",
        responses=problems(409),
    )
    async def update_person(
        self, state: State, who: Principal, person_id: UUID, data: PersonPatch
    ) -> PersonOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await update_person(conn, who.org_id, person_id, data)

    @post(
        "/people/{person_id:uuid}/deactivate",
        summary="Stop inviting a person (admin)",
        status_code=200,
    )
    async def deactivate_person(self, state: State, who: Principal, person_id: UUID) -> PersonOut:
        who.require_admin()
        async with state.pool.acquire() as conn:
            return await update_person(conn, who.org_id, person_id, PersonPatch(active=False))


ROUTES = [PeopleController]
