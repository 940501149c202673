"""A team's admin page: its people, its leaders (set and unset), its "report with" choice.

Leaders change through the directory's `set_team_leaders` and the choice through
`set_report_with`, exactly as PUT /api/v1/teams/{id}/leaders and /report-with do, checked and
audited there. What the choice does is shown from the reporting plan (guard/plan.py) made from
today's tree and active people with the org's k, as a wave opened now would make it.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import asyncpg
import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State

from ...errors import CandorError, NotFound
from ...guard import ADMIN_ONLY
from ...guard.plan import PlanTeam, plan_reporting
from ...orgs import org_floors
from ...surveys.directory.leaders import LeadersIn, set_team_leaders, team_leaders
from ...surveys.directory.teams import set_report_with
from ..forms import checked_form
from ..models import Page
from ..pages import HEADERS, PAGE_RESPONSES, page_of, render
from ..sessions import ConsoleSession
from . import queries
from .access import actor_of
from .home import ADMIN
from .org import ChartTeam, Refusal, flatten, load_chart, refusal_words


class Member(msgspec.Struct, frozen=True):
    id: UUID
    email: str
    display_name: str
    active: bool
    admin: bool


class Choice(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    is_parent: bool


class TeamAdminView(msgspec.Struct, frozen=True):
    page: Page
    id: UUID
    name: str
    path: str
    own: Annotated[int, ADMIN_ONLY]
    total: Annotated[int, ADMIN_ONLY]
    k: Annotated[int, ADMIN_ONLY]
    members: list[Member]
    leaders: list[Member]
    children: list[ChartTeam]
    choices: list[Choice]  # the parent and the siblings: whom it may be reported with
    report_with: UUID | None
    group_name: str | None  # the group a wave opened now would report its people in
    group_size: Annotated[int, ADMIN_ONLY]
    pooled: bool
    never: bool  # too small even pooled: a wave would never report it
    error: str | None = None  # the service's words, when a change was refused
    saved: str | None = None  # which form was saved (a text key)


def _uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise NotFound("No such team.") from None


async def team_view(
    conn: asyncpg.Connection, session: ConsoleSession, page: Page, team_id: UUID
) -> TeamAdminView:
    tree = await load_chart(conn, session.org_id)
    flat = flatten(tree)
    by_id = {t.id: (t, path) for t, path in flat}
    if team_id not in by_id:
        raise NotFound("No such team.")
    team, path = by_id[team_id]
    choices = [
        Choice(t.id, p, t.id == team.parent_id)
        for t, p in flat
        if team.parent_id is not None
        and t.id != team.id
        and (t.id == team.parent_id or t.parent_id == team.parent_id)
    ]
    choices.sort(key=lambda c: (not c.is_parent, c.name.lower()))
    rows = await conn.fetch(queries.TEAM_MEMBERS, session.org_id, team_id)
    members = [
        Member(r["id"], r["email"], r["display_name"], r["active"], r["admin"]) for r in rows
    ]
    leaders = [
        Member(x.person_id, x.email, x.display_name, x.active, False)
        for x in (await team_leaders(conn, session.org_id, team_id)).leaders
    ]
    k = (await org_floors(conn, session.org_id)).k
    plan = plan_reporting(
        [PlanTeam(t.id, t.parent_id, t.name, t.own, t.report_with) for t, _ in flat], k
    )
    group = next((g for g in plan.groups if team_id in g.teams), None)
    return TeamAdminView(
        page=page,
        id=team.id,
        name=team.name,
        path=path,
        own=team.own,
        total=team.total,
        k=k,
        members=members,
        leaders=leaders,
        children=team.children,
        choices=choices,
        report_with=team.report_with,
        group_name=group.name if group else None,
        group_size=group.invited if group else 0,
        pooled=bool(group and group.pooled),
        never=group is None and team.own > 0,
    )


def _render(view: TeamAdminView, status: int = 200) -> Response[bytes]:
    return render("admin/team.html", view.page.lang, status=status, v=view)


@get(
    "/admin/teams/{team_id:str}",
    opt={"view": TeamAdminView},
    dependencies=ADMIN,
    summary="A team's admin page: people, leaders, report-with choice (HTML)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def team_admin(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, team_id: str
) -> Response[bytes]:
    saved = request.query_params.get("saved")
    async with state.pool.acquire() as conn:
        view = await team_view(conn, session, page_of(session, request, "admin"), _uuid(team_id))
    if saved in ("leaders", "report_with"):
        view = msgspec.structs.replace(view, saved=f"orgteam_saved_{saved}")
    return _render(view)


async def _refused(
    request: Request[Any, Any, State],
    conn: asyncpg.Connection,
    session: ConsoleSession,
    team: UUID,
    exc: CandorError,
) -> Response[bytes]:
    if isinstance(exc, NotFound):
        raise exc
    view = await team_view(conn, session, page_of(session, request, "admin"), team)
    error = refusal_words(exc, view.page.lang)
    return _render(msgspec.structs.replace(view, error=error), exc.status)


def _see(location: str) -> Response[bytes]:
    return Response(
        b"", status_code=303, media_type="text/html", headers={**HEADERS, "Location": location}
    )


@post(
    "/admin/teams/{team_id:str}/leaders",
    opt={"view": TeamAdminView},
    dependencies=ADMIN,
    summary="Set who leads a team (form)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
    status_code=200,
)
async def save_leaders(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, team_id: str
) -> Response[bytes]:
    fields = await checked_form(request, session)
    team = _uuid(team_id)
    keep: list[UUID] = []
    for name, value in fields.items():
        if name.startswith("keep_") and value == "on":
            try:
                keep.append(UUID(name.removeprefix("keep_")))
            except ValueError:
                continue
    email = fields.get("add_email", "").strip()[:254]
    async with state.pool.acquire() as conn:
        try:
            if email:
                found = await conn.fetchval(queries.PERSON_BY_EMAIL, session.org_id, email)
                if found is None:
                    raise Refusal("orgteam_no_such_email", email=email)
                keep.append(found)
            await set_team_leaders(
                conn, session.org_id, team, LeadersIn(keep[:50]), actor=actor_of(session)
            )
        except CandorError as exc:
            return await _refused(request, conn, session, team, exc)
    return _see(f"/console/admin/teams/{team}?saved=leaders")


@post(
    "/admin/teams/{team_id:str}/report-with",
    opt={"view": TeamAdminView},
    dependencies=ADMIN,
    summary="Choose whom a small team is reported together with (form)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
    status_code=200,
)
async def save_report_with(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, team_id: str
) -> Response[bytes]:
    fields = await checked_form(request, session)
    team = _uuid(team_id)
    raw = fields.get("report_with", "").strip()
    async with state.pool.acquire() as conn:
        try:
            choice = None if raw in ("", "default") else _choice(raw)
            await set_report_with(conn, session.org_id, team, choice, actor=actor_of(session))
        except CandorError as exc:
            return await _refused(request, conn, session, team, exc)
    return _see(f"/console/admin/teams/{team}?saved=report_with")


def _choice(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        raise Refusal("orgteam_bad_choice") from None
