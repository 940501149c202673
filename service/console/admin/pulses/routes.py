"""The pulses pages: the list, a new pulse, and editing one, each form with a live preview.

"Preview" re-renders the form with what saving it would do (POST /api/v1/pulses/preview's
`preview_draft`); "Save" creates or changes the pulse through `create_pulse` / `update_pulse`,
audited as the signed-in person. A pulse that would invite people already in another active
pulse is saved only with the form's "I confirm" box ticked, as the API asks `allow_overlap`.
Every refusal re-renders the form with the reason in words and changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import asyncpg
import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State

from ....auth import visible_team_ids
from ....errors import CandorError, Conflict, NotFound
from ....guard import NOT_ABOUT_ANSWERS
from ....orgs import org_floors
from ....surveys.directory.models import TeamNode
from ....surveys.directory.teams import team_tree
from ....surveys.pulses import FOLLOW_UP_ITEM, programs
from ....surveys.pulses import items as item_store
from ....surveys.pulses import preview as previews
from ....surveys.pulses.models import DraftPreview, ItemOut, PulseOut
from ... import i18n
from ...models import Page
from ...pages import HEADERS, PAGE_RESPONSES, page_of, render
from ...sessions import ConsoleSession, clock
from ..access import actor_of
from ..home import ADMIN
from ..words import PlanWords, plan_words, refusal
from .form import (
    PulseForm,
    body_of,
    form_from_pulse,
    form_of,
    new_body,
    new_form,
    patch_body,
    read_fields,
)

Count = Annotated[int, NOT_ABOUT_ANSWERS]


class PulseRow(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    active: bool
    teams: str  # the surveyed teams' names
    cadence: str
    next_wave_at: str | None  # a day in the reader's language


class PulseListView(msgspec.Struct, frozen=True):
    page: Page
    pulses: list[PulseRow]


class TeamChoice(msgspec.Struct, frozen=True):
    id: str
    name: str
    depth: Count


class ItemChoice(msgspec.Struct, frozen=True):
    key: str
    en: str
    nl: str
    core: bool  # the bank's suggested core item of its dimension
    source: str


class DimensionChoice(msgspec.Struct, frozen=True):
    key: str
    name: str
    items: list[ItemChoice]


class PulseFormView(msgspec.Struct, frozen=True):
    page: Page
    pulse_id: UUID | None  # None for a new pulse
    active: bool
    form: PulseForm
    teams: list[TeamChoice]
    dimensions: list[DimensionChoice]
    floor_k: Count
    floor_comment_k: Count
    errors: dict[str, str]  # field -> text key
    problem: str  # the service's refusal, in the reader's language (words.refusal)
    preview: DraftPreview | None
    saved: bool = False
    opens_at_once: bool = False
    plan: PlanWords | None = None  # the preview's plan in the reader's language


def pulse_uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise NotFound("No such pulse.") from None


def _flatten(nodes: list[TeamNode], depth: int = 0) -> list[TeamChoice]:
    out: list[TeamChoice] = []
    for n in nodes:
        out.append(TeamChoice(str(n.id), n.name, depth))
        out += _flatten(n.children, depth + 1)
    return out


def _dimensions(items: list[ItemOut], lang: str) -> list[DimensionChoice]:
    by_dim: dict[str, list[ItemChoice]] = {}
    for i in items:
        choice = ItemChoice(i.key, i.texts.get("en", ""), i.texts.get("nl", ""), i.core, i.source)
        by_dim.setdefault(i.dimension, []).append(choice)
    return [
        DimensionChoice(
            d, i18n.dimension_name(d, lang), sorted(c, key=lambda c: (not c.core, c.key))
        )
        for d, c in by_dim.items()
    ]


async def _live_items(conn: asyncpg.Connection, org_id: UUID) -> list[ItemOut]:
    """The items a pulse may ask: the live ones but the follow-up item (Candor asks it)."""
    items = await item_store.list_items(conn, org_id, dimension=None, include_retired=False)
    return [i for i in items if i.key != FOLLOW_UP_ITEM]


async def _form_view(
    conn: asyncpg.Connection,
    request: Request[Any, Any, State],
    session: ConsoleSession,
    pulse: PulseOut | None,
    form: PulseForm | None = None,
    **extra: Any,
) -> PulseFormView:
    page = page_of(session, request, "admin")
    items = await _live_items(conn, session.org_id)
    floors = await org_floors(conn, session.org_id)
    visible = await visible_team_ids(conn, session.principal)
    tree = await team_tree(conn, session.org_id, visible, include_archived=False)
    preview: DraftPreview | None = extra.get("preview")
    if form is None:
        form = (
            form_from_pulse(pulse)
            if pulse is not None
            else new_form(items, floors.k, floors.comment_k, clock(request.app.state).date())
        )
    preview = extra.get("preview")
    return PulseFormView(
        page=page,
        pulse_id=pulse.id if pulse else None,
        active=pulse.active if pulse else True,
        form=form,
        teams=_flatten(tree),
        dimensions=_dimensions(items, page.lang),
        floor_k=floors.k,
        floor_comment_k=floors.comment_k,
        errors=extra.get("errors") or {},
        problem=extra.get("problem", ""),
        preview=preview,
        saved=bool(extra.get("saved")),
        # A first wave at or before now opens as soon as the pulse is saved: say so.
        opens_at_once=preview is not None and preview.first_wave_at <= clock(request.app.state),
        plan=plan_words(preview, page.lang) if preview is not None else None,
    )


def _see_other(location: str) -> Response[bytes]:
    return Response(
        b"", status_code=303, media_type="text/html", headers={**HEADERS, "Location": location}
    )


@get(
    "/admin/pulses",
    opt={"view": PulseListView},
    dependencies=ADMIN,
    summary="The org's pulses with their state (HTML; admin persons only)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def pulses_page(
    request: Request[Any, Any, State], state: State, session: ConsoleSession
) -> Response[bytes]:
    page = page_of(session, request, "admin")
    async with state.pool.acquire() as conn:
        pulses = await programs.list_pulses(conn, session.principal, None)
        visible = await visible_team_ids(conn, session.principal)
        tree = await team_tree(conn, session.org_id, visible, include_archived=True)
    names = {UUID(t.id): t.name for t in _flatten(tree)}
    rows = [
        PulseRow(
            p.id,
            p.name,
            p.active,
            ", ".join(names.get(t, "?") for t in p.team_ids),
            p.cadence,
            i18n.day(p.next_wave_at.date(), page.lang) if p.next_wave_at else None,
        )
        for p in pulses
    ]
    view = PulseListView(page=page, pulses=rows)
    return render("admin/pulses.html", page.lang, v=view)


@get(
    "/admin/pulses/new",
    opt={"view": PulseFormView},
    dependencies=ADMIN,
    summary="A new pulse's form (HTML; admin persons only)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def new_pulse_page(
    request: Request[Any, Any, State], state: State, session: ConsoleSession
) -> Response[bytes]:
    async with state.pool.acquire() as conn:
        view = await _form_view(conn, request, session, None)
    return render("admin/pulse.html", view.page.lang, v=view)


@get(
    "/admin/pulses/{pulse_id:str}",
    opt={"view": PulseFormView},
    dependencies=ADMIN,
    summary="One pulse's form, to change it (HTML; admin persons only)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def pulse_page(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, pulse_id: str
) -> Response[bytes]:
    async with state.pool.acquire() as conn:
        pulse = await programs.get_pulse(conn, session.org_id, pulse_uuid(pulse_id))
        view = await _form_view(
            conn, request, session, pulse, saved="saved" in request.query_params
        )
    return render("admin/pulse.html", view.page.lang, v=view)


async def _post_form(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, pulse_id: UUID | None
) -> Response[bytes]:
    fields = await read_fields(request, session)
    action = fields.get("action", ["preview"])[-1]
    form = form_of(fields)
    async with state.pool.acquire() as conn:
        pulse = None
        if pulse_id is not None:
            pulse = await programs.get_pulse(conn, session.org_id, pulse_id)
        items = await _live_items(conn, session.org_id)
        body, errors = body_of(form, items)
        lang = i18n.pick(session.locale)

        async def again(status: int, **extra: Any) -> Response[bytes]:
            view = await _form_view(conn, request, session, pulse, form, **extra)
            return render("admin/pulse.html", lang, status=status, v=view)

        if errors:
            return await again(422, errors=errors)
        try:
            draft = await previews.preview_draft(conn, session.org_id, new_body(body), pulse_id)
        except CandorError as exc:
            return await again(422, problem=refusal(exc, lang))
        if action != "save":
            return await again(200, preview=draft)
        actor = actor_of(session)
        try:
            if pulse_id is None:
                saved = await programs.create_pulse(
                    conn, session.org_id, new_body(body), actor=actor
                )
            else:
                saved = await programs.update_pulse(
                    conn, session.org_id, pulse_id, patch_body(body), actor=actor
                )
        except Conflict:
            return await again(409, errors={"allow_overlap": "pulse_err_overlap"}, preview=draft)
        except CandorError as exc:
            return await again(422, problem=refusal(exc, lang), preview=draft)
    return _see_other(f"/console/admin/pulses/{saved.id}?saved=1")


@post(
    "/admin/pulses/new",
    opt={"view": PulseFormView},
    dependencies=ADMIN,
    summary="Preview or create a pulse (form; admin persons only)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
    status_code=200,
)
async def create_pulse_form(
    request: Request[Any, Any, State], state: State, session: ConsoleSession
) -> Response[bytes]:
    return await _post_form(request, state, session, None)


@post(
    "/admin/pulses/{pulse_id:str}",
    opt={"view": PulseFormView},
    dependencies=ADMIN,
    summary="Preview or save a pulse's changes (form; admin persons only)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
    status_code=200,
)
async def update_pulse_form(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, pulse_id: str
) -> Response[bytes]:
    return await _post_form(request, state, session, pulse_uuid(pulse_id))


HANDLERS: list[Any] = [
    pulses_page,
    new_pulse_page,
    pulse_page,
    create_pulse_form,
    update_pulse_form,
]
