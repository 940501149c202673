"""The people pages: search by name or email, edit a person, mark an admin.

Edits go through the directory's `update_person` and `set_admin`, the same functions as
PATCH /api/v1/people/{id} and PUT /api/v1/people/{id}/admin, checked and audited there; both
changes of one save happen in one transaction, so a refused save changes nothing. The form is
checked against the same types the API decodes (PersonPatch), and a refusal is shown on the
page in words.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import Parameter

from ...errors import CandorError, NotFound
from ...guard import ADMIN_ONLY, NOT_ABOUT_ANSWERS
from ...surveys.directory.leaders import person_roles, set_admin
from ...surveys.directory.models import PersonPatch
from ...surveys.directory.people import get_person, update_person
from ..forms import checked_form
from ..models import Page
from ..pages import HEADERS, PAGE_RESPONSES, page_of, render
from ..sessions import ConsoleSession
from . import queries
from .access import actor_of
from .home import ADMIN
from .org import Refusal, flatten, load_chart, refusal_words

PAGE_SIZE = 50


class Found(msgspec.Struct, frozen=True):
    id: UUID
    email: str
    display_name: str
    team: str | None
    active: bool
    admin: bool


class PeopleView(msgspec.Struct, frozen=True):
    page: Page
    q: str
    people: list[Found]
    total: Annotated[int, ADMIN_ONLY]
    offset: Annotated[int, NOT_ABOUT_ANSWERS]
    next_offset: Annotated[int, NOT_ABOUT_ANSWERS] | None


class PersonForm(msgspec.Struct, frozen=True):
    email: str
    display_name: str
    locale: str
    team_id: str  # "" for no team
    active: bool
    admin: bool


class PersonView(msgspec.Struct, frozen=True):
    page: Page
    id: UUID
    form: PersonForm
    teams: list[tuple[str, str]]  # (id, path) of every live team
    leads: list[str]  # paths of the teams the person leads
    error: str | None = None
    saved: bool = False


@get(
    "/admin/people",
    opt={"view": PeopleView},
    dependencies=ADMIN,
    summary="Search the org's people by name or email (HTML)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def people_search(
    request: Request[Any, Any, State],
    state: State,
    session: ConsoleSession,
    q: Annotated[str, Parameter(max_length=200)] = "",
    offset: Annotated[int, Parameter(ge=0, le=10_000_000)] = 0,
) -> Response[bytes]:
    q = q.strip().replace("\x00", "")
    async with state.pool.acquire() as conn:
        rows = await conn.fetch(queries.SEARCH_PEOPLE, session.org_id, q, PAGE_SIZE, offset)
    total = rows[0]["total"] if rows else 0
    people = [
        Found(r["id"], r["email"], r["display_name"], r["team"], r["active"], r["admin"])
        for r in rows
    ]
    view = PeopleView(
        page=page_of(session, request, "admin"),
        q=q,
        people=people,
        total=total,
        offset=offset,
        next_offset=offset + PAGE_SIZE if offset + PAGE_SIZE < total else None,
    )
    return render("admin/people.html", view.page.lang, v=view)


def _person_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise NotFound("No such person.") from None


async def _view(
    conn: Any, session: ConsoleSession, page: Page, person_id: UUID, form: PersonForm | None
) -> PersonView:
    person = await get_person(conn, session.org_id, person_id)
    roles = await person_roles(conn, session.org_id, person_id)
    paths = {t.id: p for t, p in flatten(await load_chart(conn, session.org_id))}
    form = form or PersonForm(
        person.email,
        person.display_name,
        person.locale,
        str(person.team_id) if person.team_id else "",
        person.active,
        roles.admin,
    )
    teams = sorted(((str(i), p) for i, p in paths.items()), key=lambda t: t[1].lower())
    leads = sorted(paths[t] for t in roles.leads if t in paths)
    return PersonView(page, person_id, form, teams, leads)


@get(
    "/admin/people/{person_id:str}",
    opt={"view": PersonView},
    dependencies=ADMIN,
    summary="Edit a person (HTML form)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def person_page(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, person_id: str
) -> Response[bytes]:
    async with state.pool.acquire() as conn:
        view = await _view(
            conn, session, page_of(session, request, "admin"), _person_id(person_id), None
        )
    view = msgspec.structs.replace(view, saved="saved" in request.query_params)
    return render("admin/person.html", view.page.lang, v=view)


def _patch(form: PersonForm) -> PersonPatch:
    """The form as the API's patch, checked by the same types (names, emails, locales)."""
    try:
        team: UUID | None = UUID(form.team_id) if form.team_id else None
    except ValueError:
        raise Refusal("orgperson_pick_team") from None
    try:
        return msgspec.convert(
            {
                "email": form.email,
                "display_name": form.display_name,
                "locale": form.locale,
                "team_id": str(team) if team else None,
                "active": form.active,
            },
            PersonPatch,
        )
    except msgspec.ValidationError as exc:
        raise Refusal("orgperson_invalid", detail=str(exc)) from None


@post(
    "/admin/people/{person_id:str}",
    opt={"view": PersonView},
    dependencies=ADMIN,
    summary="Save a person (form)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
    status_code=200,
)
async def save_person(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, person_id: str
) -> Response[bytes]:
    fields = await checked_form(request, session)
    pid = _person_id(person_id)
    form = PersonForm(
        email=fields.get("email", "").strip()[:300],
        display_name=fields.get("display_name", "").strip()[:300],
        locale=fields.get("locale", "")[:10],
        team_id=fields.get("team_id", "").strip()[:40],
        active=fields.get("active") == "on",
        admin=fields.get("admin") == "on",
    )
    page = page_of(session, request, "admin")
    async with state.pool.acquire() as conn:
        await get_person(conn, session.org_id, pid)  # another org's person: 404
        try:
            patch = _patch(form)
            if pid == session.person_id and not form.admin:
                raise Refusal("orgperson_own_admin")
            async with conn.transaction():
                actor = actor_of(session)
                await update_person(conn, session.org_id, pid, patch, actor=actor)
                roles = await person_roles(conn, session.org_id, pid)
                if roles.admin != form.admin:
                    await set_admin(conn, session.org_id, pid, form.admin, actor=actor)
        except CandorError as exc:
            if isinstance(exc, NotFound):
                raise
            view = await _view(conn, session, page, pid, form)
            bad = msgspec.structs.replace(view, error=refusal_words(exc, page.lang))
            return render("admin/person.html", page.lang, status=exc.status, v=bad)
    return Response(
        b"",
        status_code=303,
        media_type="text/html",
        headers={**HEADERS, "Location": f"/console/admin/people/{pid}?saved=1"},
    )
