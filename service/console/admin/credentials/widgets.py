"""Widget tokens in the admin console: the list, a form to make one, revoke.

The answer to the form shows the token once, with the embed snippets of docs/widgets.md and a
live preview: an <iframe> of /embed/v1/frame on our own origin (this one page's CSP adds
`frame-src 'self'`; the widget page lets Candor's own origin frame it, analytics/widgets/frame.py).
Tokens are made and revoked by the functions behind /api/v1/widget-tokens, with the person as
the audit log's actor.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State

from ....analytics.widgets.admin_api import (
    DEFAULT_LIFETIME,
    MAX_LIFETIME,
    embed_snippets,
    issue_widget_token,
    revoke_widget_token,
)
from ....analytics.widgets.tokens import list_tokens, normalise_origin
from ....errors import NotFound
from ...forms import checked_form
from ...models import Page
from ...pages import CSP, PAGE_RESPONSES, page_of, render
from ...sessions import ConsoleSession, clock
from ..access import actor_of
from ..home import ADMIN
from . import queries
from .common import TeamChoice, clean_name, see_other, team_names, team_tree, uuid_or_404

HERE = "/console/admin/widgets"
NAV = "admin-widgets"
MAX_ORIGINS = 20
# The preview page frames our own widget page; nothing else of the console frames anything.
PREVIEW_CSP = CSP + "; frame-src 'self'"


class WidgetRow(msgspec.Struct, frozen=True):
    id: UUID
    label: str
    prefix: str
    team: str
    subtree: bool
    allowed_origins: list[str]
    expires_at: datetime
    created_at: datetime
    revoked_at: datetime | None
    active: bool


class WidgetForm(msgspec.Struct, frozen=True):
    label: str = ""
    team: str = ""
    subtree: bool = True
    origins: str = ""
    expires: str = ""  # a day, YYYY-MM-DD: the token works until that day ends (UTC)


class WidgetsView(msgspec.Struct, frozen=True):
    page: Page
    tokens: list[WidgetRow]
    teams: list[TeamChoice]
    form: WidgetForm
    errors: dict[str, str]
    notice: str | None


class NewWidgetView(msgspec.Struct, frozen=True):
    page: Page
    label: str
    team: str
    subtree: bool
    origins: list[str]
    expires_at: datetime
    iframe: str
    component: str
    badge: str
    preview: str  # the frame's address on our own origin
    badge_preview: str


class RevokeWidgetView(msgspec.Struct, frozen=True):
    page: Page
    token: WidgetRow
    already: bool


def _row(r: Any, names: dict[UUID, str]) -> WidgetRow:
    return WidgetRow(
        r["id"],
        r["label"],
        r["prefix"],
        names.get(r["team_id"], "?"),
        r["subtree"],
        list(r["allowed_origins"]),
        r["expires_at"],
        r["created_at"],
        r["revoked_at"],
        r["active"],
    )


async def _widgets_view(
    conn: Any,
    request: Request[Any, Any, State],
    state: State,
    session: ConsoleSession,
    *,
    form: WidgetForm | None = None,
    errors: dict[str, str] | None = None,
) -> WidgetsView:
    names = await team_names(conn, session.org_id)
    rows = await list_tokens(conn, session.org_id)
    default = (clock(state) + DEFAULT_LIFETIME).date().isoformat()
    return WidgetsView(
        page=page_of(session, request, NAV),
        tokens=[_row(r, names) for r in reversed(rows)],
        teams=await team_tree(conn, session.org_id),
        form=form or WidgetForm(expires=default),
        errors=errors or {},
        notice="widgets_revoked" if request.query_params.get("revoked") == "1" else None,
    )


def _origins(text: str) -> list[str] | None:
    """The origins typed one a line (or separated by spaces or commas); None if one is not an
    origin or there are too many."""
    out: list[str] = []
    for value in re.split(r"[\s,]+", text.strip()):
        if not value:
            continue
        origin = normalise_origin(value)
        if origin is None:
            return None
        if origin not in out:
            out.append(origin)
    return out if len(out) <= MAX_ORIGINS else None


def _expiry(text: str, now: datetime) -> datetime | None:
    """The end of the given day (UTC); None unless it is a day after today within three years."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return None
    ends = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    return ends if now < ends <= now + MAX_LIFETIME and day > now.date() else None


async def _token_of(conn: Any, session: ConsoleSession, token_id: str) -> WidgetRow:
    row = await conn.fetchrow(queries.TOKEN_OF_ORG, session.org_id, uuid_or_404(token_id, "token"))
    if row is None:
        raise NotFound("No such widget token.")
    return _row(row, await team_names(conn, session.org_id))


@get(
    "/admin/widgets",
    opt={"view": WidgetsView},
    dependencies=ADMIN,
    summary="Widget tokens: the list and a form to make one (HTML; admin persons only)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def widgets_page(
    request: Request[Any, Any, State], state: State, session: ConsoleSession
) -> Response[bytes]:
    async with state.pool.acquire() as conn:
        view = await _widgets_view(conn, request, state, session)
    return render("admin/widgets.html", view.page.lang, v=view)


@post(
    "/admin/widgets",
    opt={"view": NewWidgetView},
    dependencies=ADMIN,
    summary="Make a widget token (form); the answer shows it once, with snippets and a preview",
    media_type="text/html",
    responses=PAGE_RESPONSES,
    status_code=200,
)
async def create_widget_form(
    request: Request[Any, Any, State], state: State, session: ConsoleSession
) -> Response[bytes]:
    fields = await checked_form(request, session)
    form = WidgetForm(
        label=fields.get("label", "")[:400],
        team=fields.get("team", "")[:80],
        subtree=fields.get("subtree") == "on",
        origins=fields.get("origins", "")[:6000],
        expires=fields.get("expires", "")[:40],
    )
    now = clock(state)
    label = clean_name(form.label)
    origins = _origins(form.origins)
    expires_at = _expiry(form.expires, now)
    errors: dict[str, str] = {}
    if label is None:
        errors["label"] = "widgets_error_label"
    if not form.team:
        errors["team"] = "widgets_error_team"
    if origins is None:
        errors["origins"] = "widgets_error_origins"
    if expires_at is None:
        errors["expires"] = "widgets_error_expires"
    team_id = uuid_or_404(form.team, "team") if form.team else None
    async with state.pool.acquire() as conn:
        live = {t.id: t.name for t in await team_tree(conn, session.org_id)}
        if team_id is not None and team_id not in live:
            raise NotFound("No such team.")  # not one of the picker's teams: forged
        if errors or label is None or origins is None or expires_at is None or team_id is None:
            view = await _widgets_view(conn, request, state, session, form=form, errors=errors)
            return render("admin/widgets.html", view.page.lang, status=422, v=view)
        async with conn.transaction():
            _, token = await issue_widget_token(
                conn,
                actor_of(session),
                label=label,
                team_id=team_id,
                subtree=form.subtree,
                origins=origins,
                expires_at=expires_at,
            )
    page = page_of(session, request, NAV)
    snippets = embed_snippets(state.settings.public_base_url, token)
    done = NewWidgetView(
        page=page,
        label=label,
        team=live[team_id],
        subtree=form.subtree,
        origins=origins,
        expires_at=expires_at,
        iframe=snippets.iframe,
        component=snippets.component,
        badge=snippets.badge,
        preview=f"/embed/v1/frame?token={token}&lang={page.lang}",
        badge_preview=f"/embed/v1/badge.svg?token={token}&lang={page.lang}",
    )
    response = render("admin/widget_new.html", page.lang, v=done)
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    return response


@get(
    "/admin/widgets/{token_id:str}/revoke",
    opt={"view": RevokeWidgetView},
    dependencies=ADMIN,
    summary="Revoke a widget token: the confirmation (HTML)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def revoke_widget_page(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, token_id: str
) -> Response[bytes]:
    async with state.pool.acquire() as conn:
        token = await _token_of(conn, session, token_id)
    view = RevokeWidgetView(page_of(session, request, NAV), token, token.revoked_at is not None)
    return render("admin/widget_revoke.html", view.page.lang, v=view)


@post(
    "/admin/widgets/{token_id:str}/revoke",
    opt={"view": RevokeWidgetView},
    dependencies=ADMIN,
    summary="Revoke a widget token (form); it stops working at once",
    media_type="text/html",
    responses=PAGE_RESPONSES,
    status_code=200,
)
async def revoke_widget_form(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, token_id: str
) -> Response[bytes]:
    await checked_form(request, session)
    async with state.pool.acquire() as conn:
        token = await _token_of(conn, session, token_id)
        if token.revoked_at is not None:
            view = RevokeWidgetView(page_of(session, request, NAV), token, True)
            return render("admin/widget_revoke.html", view.page.lang, status=409, v=view)
        async with conn.transaction():
            await revoke_widget_token(conn, actor_of(session), token.id)
    # This process forgets at once; the others on the table trigger's notification.
    state.widget_tokens.clear()
    return see_other(f"{HERE}?revoked=1")


HANDLERS: list[Any] = [widgets_page, create_widget_form, revoke_widget_page, revoke_widget_form]
