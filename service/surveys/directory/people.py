"""People of the org: add, change, deactivate, read, list with pagination.

Identity lives here and nowhere else: an email, a display name, a locale (en/nl), a team and
whether the person is invited at all (active). Emails are unique per org, ignoring case, and
are always addresses the mailer can send to (service/text.py). Only admin keys reach these
functions (routes.py); bulk loading is importer.py's. Every change is logged (service/audit.py)
with the names of the fields it changed, never an email or a name.
"""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

import asyncpg
import msgspec

from ...audit import Actor, record
from ...errors import Conflict, InvalidInput, NotFound
from ...text import sendable_email
from . import queries
from .models import PersonIn, PersonOut, PersonPage, PersonPatch
from .teams import require_live_team

T = TypeVar("T")


def _person(row: asyncpg.Record | None) -> PersonOut:
    assert row is not None
    return PersonOut(**dict(row))


def _email_taken() -> Conflict:
    return Conflict("Someone in this org already has this email address.")


def _address(email: str) -> str:
    # Bodies decoded from a request already passed the Email type; Structs built in Python
    # (seeding, tests, other callers) skip msgspec's checks, and this is the last stop before
    # an address is stored and later handed to the mailer.
    email = email.strip()
    if not sendable_email(email):
        raise InvalidInput(f"Not an email address the mailer can send to: {email[:80]!r}.")
    return email


async def create_person(
    conn: asyncpg.Connection, org_id: UUID, data: PersonIn, *, actor: Actor
) -> PersonOut:
    if data.team_id is not None:
        await require_live_team(conn, org_id, data.team_id, "team")
    async with conn.transaction():
        try:
            row = await conn.fetchrow(
                queries.INSERT_PERSON,
                org_id,
                _address(data.email),
                data.display_name.strip() or data.display_name,
                data.locale,
                data.team_id,
                data.active,
            )
        except asyncpg.UniqueViolationError:
            raise _email_taken() from None
        person = _person(row)
        details = {"team_id": person.team_id, "active": person.active}
        await record(conn, actor, "person.create", "person", person.id, details)
    return person


def _sent(value: T | msgspec.UnsetType) -> T | None:
    """A field left out of the patch goes to the statement as NULL: "leave it as it is"."""
    return None if isinstance(value, msgspec.UnsetType) else value


# Fields whose new value the log keeps; the others (email, name, locale) only by name.
_LOGGED_VALUES = ("team_id", "active")


async def update_person(
    conn: asyncpg.Connection,
    org_id: UUID,
    person_id: UUID,
    data: PersonPatch,
    *,
    actor: Actor,
    action: str = "person.update",
) -> PersonOut:
    """Change the fields sent; `team_id: null` takes the person out of any team."""
    async with conn.transaction():
        person = await _update(conn, org_id, person_id, data)
        sent = [f for f in PersonPatch.__struct_fields__ if getattr(data, f) is not msgspec.UNSET]
        values = {f: getattr(person, f) for f in _LOGGED_VALUES if f in sent}
        await record(conn, actor, action, "person", person_id, {"fields": sent, **values})
    return person


async def _update(
    conn: asyncpg.Connection, org_id: UUID, person_id: UUID, data: PersonPatch
) -> PersonOut:
    if isinstance(data.team_id, UUID):
        await require_live_team(conn, org_id, data.team_id, "team")
    email = _sent(data.email)
    set_team = not isinstance(data.team_id, msgspec.UnsetType)
    try:
        row = await conn.fetchrow(
            queries.UPDATE_PERSON,
            org_id,
            person_id,
            None if email is None else _address(email),
            _sent(data.display_name),
            _sent(data.locale),
            set_team,
            _sent(data.team_id),
            _sent(data.active),
        )
    except asyncpg.UniqueViolationError:
        raise _email_taken() from None
    if row is None:
        raise NotFound("No such person.")
    return _person(row)


async def deactivate_person(
    conn: asyncpg.Connection, org_id: UUID, person_id: UUID, *, actor: Actor
) -> PersonOut:
    """Stop inviting a person; they stay in the directory."""
    return await update_person(
        conn, org_id, person_id, PersonPatch(active=False), actor=actor, action="person.deactivate"
    )


async def get_person(conn: asyncpg.Connection, org_id: UUID, person_id: UUID) -> PersonOut:
    row = await conn.fetchrow(queries.GET_PERSON, org_id, person_id)
    if row is None:
        raise NotFound("No such person.")
    return _person(row)


async def list_people(
    conn: asyncpg.Connection,
    org_id: UUID,
    *,
    team_id: UUID | None,
    active: bool | None,
    limit: int,
    offset: int,
) -> PersonPage:
    """One page of the org's people by email, optionally of one team and/or one state."""
    rows = await conn.fetch(queries.LIST_PEOPLE, org_id, team_id, active, limit, offset)
    total = await conn.fetchval(queries.COUNT_PEOPLE, org_id, team_id, active)
    return PersonPage([_person(r) for r in rows], total, limit, offset)
