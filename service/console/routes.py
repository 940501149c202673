"""The console's routes: thin handlers that read the request, call a service function and render.

Signed-in pages take the `session` dependency (a redirect to sign in without one) and build
their numbers through the caller's `Principal`, exactly as the leader API does. Every POST is a
form with a CSRF token. Each handler names the view Struct it renders in opt["view"].
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, Router, get, post
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.params import Parameter

from ..analytics.trends import known_keys
from ..errors import CandorError, NotFound
from ..ratelimit import Limit, enforce
from . import focus as focus_store
from . import i18n, signin
from .admin import routes as admin_routes
from .config import console_config
from .forms import checked_form, form_fields, well_formed_email
from .heatmap import heatmap_file, heatmap_page
from .models import (
    FocusForm,
    FocusView,
    HeatmapView,
    ItemsView,
    MyTeamsView,
    SettingsView,
    TalkView,
    TeamPageView,
)
from .pages import (
    HEADERS,
    PAGE_RESPONSES,
    console_error,
    error_page,
    page_of,
    render,
    request_lang,
)
from .prefs import save_prefs
from .sending import kick
from .sessions import (
    COOKIE,
    PRE_COOKIE,
    ConsoleSession,
    CsrfRefused,
    clock,
    cookie,
    end_session,
    is_secure,
    new_secret,
    pre_ok,
    pre_token,
    provide_session,
    session_max_age,
)
from .team_page import items_page, talk_page, team_page
from .teams import dimension_order, my_teams, scoped_trend, team_header

CSS = (Path(__file__).resolve().parent / "static" / "console.css").read_bytes()
Offset = Annotated[int, Parameter(ge=0, le=1_000_000)]
SESSION = {"session": Provide(provide_session)}


def team_uuid(value: str) -> UUID:
    """A team id from the path; anything else is a page that does not exist."""
    try:
        return UUID(value)
    except ValueError:
        raise NotFound("No such team.") from None


def _see_other(location: str, cookies: list[Any] | None = None) -> Response[bytes]:
    return Response(
        b"",
        status_code=303,
        media_type="text/html",
        headers={**HEADERS, "Location": location},
        cookies=cookies or [],
    )


def _pre(request: Request[Any, Any, State], state: State) -> tuple[str, list[Any]]:
    """The pre-session form token, and the cookie to set when the browser has none yet."""
    nonce = request.cookies.get(PRE_COOKIE)
    cookies = []
    if not nonce or len(nonce) != 43:
        nonce = new_secret()
        secure = is_secure(state.settings.public_base_url)
        cookies.append(cookie(PRE_COOKIE, nonce, secure=secure, max_age=3600))
    return pre_token(state.settings.secret_key, nonce), cookies


# --- sign-in -----------------------------------------------------------------------------------


@get(
    "/",
    opt={"view": None},
    summary="The console (redirects to my teams)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def home() -> Response[bytes]:
    return _see_other("/console/teams")


@get(
    "/sign-in",
    opt={"view": None},
    summary="Sign-in page (HTML)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def sign_in_page(request: Request[Any, Any, State], state: State) -> Response[bytes]:
    token, cookies = _pre(request, state)
    q = request.query_params
    note = "signed_out" if "signed_out" in q else "session_ended" if q.get("next") else None
    return render(
        "sign_in.html",
        request_lang(request),
        cookies=cookies,
        csrf=token,
        next=signin.safe_next(q.get("next")) or "",
        sent="sent" in q,
        note=note,
        error=None,
        email="",
    )


@post(
    "/sign-in",
    opt={"view": None},
    summary="Ask for a sign-in link (form; same answer for every address)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
    status_code=200,
)
async def sign_in(request: Request[Any, Any, State], state: State) -> Response[bytes]:
    fields = await form_fields(request)
    if not pre_ok(state.settings.secret_key, request.cookies.get(PRE_COOKIE), fields.get("csrf")):
        raise CsrfRefused("The sign-in form's token is missing or wrong.")
    await enforce(request, Limit("console-signin", console_config().signin_per_client, 600))
    email = fields.get("email", "").strip()
    next_path = signin.safe_next(fields.get("next"))
    lang = i18n.pick(fields.get("lang"), request_lang(request))
    if not well_formed_email(email):
        token, cookies = _pre(request, state)
        return render(
            "sign_in.html",
            lang,
            status=422,
            cookies=cookies,
            csrf=token,
            next=next_path or "",
            sent=False,
            note=None,
            error="email_invalid",
            email=email,
        )
    async with state.pool.acquire() as conn:
        queued = await signin.request_links(
            conn, state.settings.secret_key, email, next_path, clock(state)
        )
    for org_id, mail_id in queued:
        await kick(state.redis, org_id, mail_id)
    return _see_other(f"/console/sign-in?sent=1&lang={lang}")


@get(
    "/link/{token:str}",
    opt={"view": None},
    summary="A sign-in link's confirm page (HTML)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def link_page(request: Request[Any, Any, State], state: State, token: str) -> Response[bytes]:
    async with state.pool.acquire() as conn:
        info = await signin.link_info(conn, token, clock(state))
    if info is None:
        return render("link_bad.html", request_lang(request), status=404)
    csrf, cookies = _pre(request, state)
    return render(
        "link.html", i18n.pick(info.locale), cookies=cookies, csrf=csrf, info=info, token=token
    )


@post(
    "/link/{token:str}",
    opt={"view": None},
    summary="Use a sign-in link (form): starts a session",
    media_type="text/html",
    responses=PAGE_RESPONSES,
    status_code=200,
)
async def use_link(request: Request[Any, Any, State], state: State, token: str) -> Response[bytes]:
    await enforce(request, Limit("console-link", 60, 600))
    now = clock(state)
    async with state.pool.acquire() as conn:
        if await signin.link_info(conn, token, now) is None:
            return render("link_bad.html", request_lang(request), status=404)
        fields = await form_fields(request)
        if not pre_ok(
            state.settings.secret_key, request.cookies.get(PRE_COOKIE), fields.get("csrf")
        ):
            raise CsrfRefused("The sign-in form's token is missing or wrong.")
        done = await signin.use_link(conn, token, now)
    if done is None:
        return render("link_bad.html", request_lang(request), status=404)
    secure = is_secure(state.settings.public_base_url)
    return _see_other(
        done.next_path,
        cookies=[
            cookie(COOKIE, done.cookie, secure=secure, max_age=session_max_age()),
            cookie(PRE_COOKIE, "", secure=secure, max_age=0),
        ],
    )


@post(
    "/sign-out",
    opt={"view": None},
    dependencies=SESSION,
    summary="Sign out (form)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
    status_code=200,
)
async def sign_out(
    request: Request[Any, Any, State], state: State, session: ConsoleSession
) -> Response[bytes]:
    await checked_form(request, session)
    async with state.pool.acquire() as conn:
        await end_session(conn, session, clock(state))
    secure = is_secure(state.settings.public_base_url)
    return _see_other(
        f"/console/sign-in?signed_out=1&lang={i18n.pick(session.locale)}",
        cookies=[cookie(COOKIE, "", secure=secure, max_age=0)],
    )


@post(
    "/language",
    opt={"view": None},
    dependencies=SESSION,
    summary="Switch the console's language (form)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
    status_code=200,
)
async def language(
    request: Request[Any, Any, State], state: State, session: ConsoleSession
) -> Response[bytes]:
    fields = await checked_form(request, session)
    lang = i18n.pick(fields.get("lang"))
    async with state.pool.acquire() as conn:
        await save_prefs(conn, session, None, lang, clock(state))
    return _see_other(signin.safe_next(fields.get("next")) or signin.DEFAULT_NEXT)


# --- pages ---------------------------------------------------------------------------------------


@get(
    "/teams",
    opt={"view": MyTeamsView},
    dependencies=SESSION,
    summary="My teams (HTML)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def teams(
    request: Request[Any, Any, State], state: State, session: ConsoleSession
) -> Response[bytes]:
    async with state.pool.acquire() as conn:
        view = await my_teams(conn, session, page_of(session, request, "teams"))
    return render("teams.html", view.page.lang, v=view)


@get(
    "/teams/{team_id:str}",
    opt={"view": TeamPageView},
    dependencies=SESSION,
    summary="A team's page (HTML)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def team(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, team_id: str
) -> Response[bytes]:
    async with state.pool.acquire() as conn:
        view = await team_page(
            conn, session, team_uuid(team_id), page_of(session, request, "teams")
        )
    return render("team.html", view.page.lang, v=view, tab="trend")


@get(
    "/teams/{team_id:str}/items",
    opt={"view": ItemsView},
    dependencies=SESSION,
    summary="A team's questions (HTML)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def items(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, team_id: str
) -> Response[bytes]:
    async with state.pool.acquire() as conn:
        view = await items_page(
            conn, session, team_uuid(team_id), page_of(session, request, "teams")
        )
    return render("items.html", view.page.lang, v=view, tab="items")


@get(
    "/teams/{team_id:str}/talk",
    opt={"view": TalkView},
    dependencies=SESSION,
    summary="Talk about it (HTML)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def talk(
    request: Request[Any, Any, State],
    state: State,
    session: ConsoleSession,
    team_id: str,
    dimension: Annotated[str | None, Parameter(max_length=48)] = None,
) -> Response[bytes]:
    async with state.pool.acquire() as conn:
        view = await talk_page(
            conn, session, team_uuid(team_id), page_of(session, request, "teams"), dimension
        )
    return render("talk.html", view.page.lang, v=view, tab="talk")


async def _focus_view(
    conn: Any,
    request: Request[Any, Any, State],
    session: ConsoleSession,
    team_id: UUID,
    **extra: Any,
) -> FocusView:
    page = page_of(session, request, "teams")
    trend = await scoped_trend(conn, session, team_id)
    header = await team_header(conn, session, team_id, trend)
    keys = await known_keys(conn, session.org_id, "dimension")
    dims = [
        (k, i18n.dimension_name(k, page.lang))
        for k in sorted(keys - {"follow_through"}, key=dimension_order)
    ]
    history = await focus_store.history(conn, session.org_id, team_id, page.lang)
    return FocusView(
        page=page,
        team=header,
        dimensions=dims,
        form=extra.get("form") or FocusForm(agreed_on=clock(request.app.state).date().isoformat()),
        errors=extra.get("errors") or {},
        saved=bool(extra.get("saved")),
        history=history,
    )


@get(
    "/teams/{team_id:str}/focus",
    opt={"view": FocusView},
    dependencies=SESSION,
    summary="The team's focus (HTML)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def focus_page(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, team_id: str
) -> Response[bytes]:
    async with state.pool.acquire() as conn:
        view = await _focus_view(
            conn, request, session, team_uuid(team_id), saved="saved" in request.query_params
        )
    return render("focus.html", view.page.lang, v=view, tab="focus")


@post(
    "/teams/{team_id:str}/focus",
    opt={"view": FocusView},
    dependencies=SESSION,
    summary="Record a focus (form)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
    status_code=200,
)
async def save_focus(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, team_id: str
) -> Response[bytes]:
    fields = await checked_form(request, session)
    team = team_uuid(team_id)
    form = FocusForm(
        dimension=fields.get("dimension", ""),
        try_text=fields.get("try_text", "")[:2000],
        agreed_on=fields.get("agreed_on", "")[:40],
        show_on_widget=fields.get("show_on_widget") == "on",
    )
    async with state.pool.acquire() as conn:
        view = await _focus_view(conn, request, session, team, form=form)
        errors, agreed = focus_store.check(
            form, {k for k, _ in view.dimensions}, clock(state).date()
        )
        if errors or agreed is None:
            bad = FocusView(
                view.page, view.team, view.dimensions, form, errors, False, view.history
            )
            return render("focus.html", view.page.lang, status=422, v=bad, tab="focus")
        await focus_store.record(conn, session, team, form, agreed)
    return _see_other(f"/console/teams/{team}/focus?saved=1")


@get(
    "/heatmap",
    opt={"view": HeatmapView},
    dependencies=SESSION,
    summary="Heatmap of my teams (HTML)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def heatmap(
    request: Request[Any, Any, State],
    state: State,
    session: ConsoleSession,
    wave: UUID | None = None,
    offset: Offset = 0,
) -> Response[bytes]:
    async with state.pool.acquire() as conn:
        view = await heatmap_page(conn, session, page_of(session, request, "heatmap"), wave, offset)
    return render("heatmap.html", view.page.lang, v=view)


@get(
    "/heatmap.csv",
    opt={"view": HeatmapView},
    dependencies=SESSION,
    summary="The heatmap as CSV",
    media_type="text/csv",
    responses=PAGE_RESPONSES,
)
async def heatmap_csv(
    state: State, session: ConsoleSession, wave: UUID | None = None
) -> Response[bytes]:
    async with state.pool.acquire() as conn:
        wave_id, body = await heatmap_file(conn, session, wave)
    return Response(
        body,
        media_type="text/csv",
        headers={**HEADERS, "Content-Disposition": f'attachment; filename="heatmap-{wave_id}.csv"'},
    )


@get(
    "/settings",
    opt={"view": SettingsView},
    dependencies=SESSION,
    summary="Settings (HTML)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def settings_page(
    request: Request[Any, Any, State], session: ConsoleSession
) -> Response[bytes]:
    view = SettingsView(
        page_of(session, request, "settings"), session.results_mail, "saved" in request.query_params
    )
    return render("settings.html", view.page.lang, v=view)


@post(
    "/settings",
    opt={"view": SettingsView},
    dependencies=SESSION,
    summary="Save settings (form)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
    status_code=200,
)
async def save_settings(
    request: Request[Any, Any, State], state: State, session: ConsoleSession
) -> Response[bytes]:
    fields = await checked_form(request, session)
    lang = i18n.pick(fields.get("lang"), session.locale)
    async with state.pool.acquire() as conn:
        await save_prefs(conn, session, fields.get("results_mail") == "on", lang, clock(state))
    return _see_other("/console/settings?saved=1")


@get(
    "/assets/console.css",
    opt={"view": None},
    summary="The console's stylesheet",
    media_type="text/css",
    responses=PAGE_RESPONSES,
)
async def console_css() -> Response[bytes]:
    return Response(CSS, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


@get(
    "/{path:path}",
    opt={"view": None},
    summary="Any other console address: a 404 page",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def not_found(request: Request[Any, Any, State], path: str) -> Response[bytes]:
    return error_page(request, 404)


ROUTER = Router(
    path="/console",
    route_handlers=[
        *admin_routes.HANDLERS,
        home,
        sign_in_page,
        sign_in,
        link_page,
        use_link,
        sign_out,
        language,
        teams,
        team,
        items,
        talk,
        focus_page,
        save_focus,
        heatmap,
        heatmap_csv,
        settings_page,
        save_settings,
        console_css,
        not_found,
    ],
    tags=["console"],
    exception_handlers={
        CandorError: console_error,
        HTTPException: console_error,
        Exception: console_error,
    },
)
ROUTES: list[Any] = [ROUTER]
