"""The audit log in the admin console: the org's entries newest first, filtered by time, actor,
action and object (a GET form), paged, and the same selection as a CSV file.

Both read through `service.audit.entries()`, as /api/v1/audit does; reading writes nothing.
The log holds nothing from the anonymous side (service/audit.py), so neither does this page.
Actors and objects are named where the org knows them (a person, a key, a team, a widget).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, get_args
from urllib.parse import urlencode
from uuid import UUID

import msgspec
from litestar import Request, Response, get
from litestar.datastructures import State

from ....audit import ACTIONS, Action, ActorKind, AuditEntry, AuditFilter, ObjectKind, entries
from ....audit_routes import CSV_COLUMNS, csv_row
from ....csvfile import render_csv
from ....guard import NOT_ABOUT_ANSWERS
from ...models import Page
from ...pages import HEADERS, PAGE_RESPONSES, page_of, render
from ...sessions import ConsoleSession
from ..home import ADMIN
from . import queries

PER_PAGE = 50
CSV_MAX = 100_000
ACTOR_KINDS: tuple[str, ...] = get_args(ActorKind)
OBJECT_KINDS: tuple[str, ...] = get_args(ObjectKind)
NAMES_OF = {
    "person": queries.PEOPLE_NAMES,
    "api_key": queries.KEY_NAMES,
    "team": queries.TEAM_NAMES_OF,
    "widget_token": queries.WIDGET_LABELS,
}
Count = Annotated[int, NOT_ABOUT_ANSWERS]


class AuditForm(msgspec.Struct, frozen=True):
    """The filter as typed (shown back in the form)."""

    since: str = ""
    until: str = ""
    actor_kind: str = ""
    actor_id: str = ""
    action: str = ""
    object_kind: str = ""
    object_id: str = ""


class AuditRow(msgspec.Struct, frozen=True):
    at: datetime
    actor_kind: str
    actor_id: str
    actor: str  # in words: a name, or the kind
    action: str
    object_kind: str
    object_id: str
    object: str
    details: str


class AuditView(msgspec.Struct, frozen=True):
    page: Page
    form: AuditForm
    errors: dict[str, str]
    rows: list[AuditRow]
    total: Count
    first: Count  # 1-based number of the first row shown
    last: Count
    newer: str | None  # links to the neighbouring pages
    older: str | None
    csv: str
    actor_kinds: tuple[str, ...]
    actions: list[str]
    object_kinds: tuple[str, ...]


def _form(request: Request[Any, Any, Any]) -> AuditForm:
    q = request.query_params
    return AuditForm(**{f: q.get(f, "").strip()[:80] for f in AuditForm.__struct_fields__})


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


def audit_filter(form: AuditForm) -> tuple[AuditFilter, dict[str, str]]:
    """The form as the log's filter, and the errors (field -> text key) that make it unusable.
    Days are whole UTC days; `until` includes its day."""
    errors: dict[str, str] = {}
    since = _day(form.since) if form.since else None
    until = _day(form.until) if form.until else None
    if form.since and since is None:
        errors["since"] = "audit_error_day"
    if form.until and until is None:
        errors["until"] = "audit_error_day"
    if since is not None and until is not None and since > until:
        errors["until"] = "audit_error_order"
    actor_id = _uuid(form.actor_id) if form.actor_id else None
    object_id = _uuid(form.object_id) if form.object_id else None
    if form.actor_id and actor_id is None:
        errors["actor_id"] = "audit_error_id"
    if form.object_id and object_id is None:
        errors["object_id"] = "audit_error_id"
    if form.actor_kind and form.actor_kind not in ACTOR_KINDS:
        errors["actor_kind"] = "audit_error_choice"
    if form.object_kind and form.object_kind not in OBJECT_KINDS:
        errors["object_kind"] = "audit_error_choice"
    if form.action and form.action not in ACTIONS:
        errors["action"] = "audit_error_choice"
    if errors:
        return AuditFilter(), errors
    return AuditFilter(
        since=None if since is None else datetime.combine(since, time(), tzinfo=UTC),
        until=None
        if until is None
        else datetime.combine(until + timedelta(days=1), time(), tzinfo=UTC),
        actor_kind=msgspec.convert(form.actor_kind or None, ActorKind | None),
        actor_id=actor_id,
        action=msgspec.convert(form.action or None, Action | None),
        object_kind=msgspec.convert(form.object_kind or None, ObjectKind | None),
        object_id=object_id,
    ), errors


async def _names(conn: Any, org_id: UUID, items: list[AuditEntry]) -> dict[UUID, str]:
    wanted: dict[str, set[UUID]] = {kind: set() for kind in NAMES_OF}
    for e in items:
        if e.actor_id is not None and e.actor_kind in wanted:
            wanted[e.actor_kind].add(e.actor_id)
        if e.object_id is not None and e.object_kind in wanted:
            wanted[e.object_kind].add(e.object_id)
    names: dict[UUID, str] = {}
    for kind, ids in wanted.items():
        if ids:
            rows = await conn.fetch(NAMES_OF[kind], org_id, list(ids))
            names.update({r["id"]: r["name"] for r in rows})
    return names


def _row(e: AuditEntry, names: dict[UUID, str], org_name: str) -> AuditRow:
    actor = names.get(e.actor_id, str(e.actor_id)[:8]) if e.actor_id else ""
    obj = names.get(e.object_id, str(e.object_id)[:8]) if e.object_id else ""
    if e.object_kind == "org":
        obj = org_name
    return AuditRow(
        at=e.at,
        actor_kind=e.actor_kind,
        actor_id=str(e.actor_id or ""),
        actor=actor,
        action=e.action,
        object_kind=e.object_kind,
        object_id=str(e.object_id or ""),
        object=obj,
        details=msgspec.json.encode(e.details).decode() if e.details else "",
    )


def _query(form: AuditForm, **extra: str | int) -> str:
    pairs = {k: v for k, v in msgspec.structs.asdict(form).items() if v}
    pairs.update({k: str(v) for k, v in extra.items()})
    return urlencode(pairs)


@get(
    "/admin/audit",
    opt={"view": AuditView},
    dependencies=ADMIN,
    summary="The org's audit log, newest first, filtered and paged (HTML; admin persons only)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def audit_page(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, offset: str = "0"
) -> Response[bytes]:
    return await _page(request, state, session, offset)


async def _page(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, offset: str
) -> Response[bytes]:
    form = _form(request)
    where, errors = audit_filter(form)
    start = int(offset) if offset.isascii() and offset.isdigit() and len(offset) < 9 else 0
    rows: list[AuditRow] = []
    total = 0
    if not errors:
        async with state.pool.acquire() as conn:
            found = await entries(conn, session.org_id, where, limit=PER_PAGE, offset=start)
            names = await _names(conn, session.org_id, found.items)
        rows = [_row(e, names, session.org_name) for e in found.items]
        total = found.total
    older = start + PER_PAGE < total
    view = AuditView(
        page=page_of(session, request, "admin-audit"),
        form=form,
        errors=errors,
        rows=rows,
        total=total,
        first=start + 1 if rows else 0,
        last=start + len(rows),
        newer=_query(form, offset=max(start - PER_PAGE, 0)) if start > 0 else None,
        older=_query(form, offset=start + PER_PAGE) if older else None,
        csv=_query(form),
        actor_kinds=ACTOR_KINDS,
        actions=sorted(ACTIONS),
        object_kinds=OBJECT_KINDS,
    )
    return render("admin/audit.html", view.page.lang, status=400 if errors else 200, v=view)


@get(
    "/admin/audit.csv",
    opt={"view": AuditView},
    dependencies=ADMIN,
    summary="The audit log as CSV, with the page's filters (admin persons only)",
    media_type="text/csv",
    responses=PAGE_RESPONSES,
)
async def audit_csv(
    request: Request[Any, Any, State], state: State, session: ConsoleSession
) -> Response[bytes]:
    form = _form(request)
    where, errors = audit_filter(form)
    if errors:
        return await _page(request, state, session, "0")  # the page says what to fix
    async with state.pool.acquire() as conn:
        found = await entries(conn, session.org_id, where, limit=CSV_MAX, offset=0)
    return Response(
        render_csv(CSV_COLUMNS, [csv_row(e) for e in found.items]),
        media_type="text/csv",
        headers={**HEADERS, "Content-Disposition": 'attachment; filename="audit.csv"'},
    )


HANDLERS: list[Any] = [audit_page, audit_csv]
