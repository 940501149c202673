"""API keys in the admin console: the list, a form to make one (its secret shown once), revoke.

Keys are made and revoked by `service.admin.issue_key` / `revoke_key`, the functions behind
/api/v1/keys and the CLI, with the signed-in person as the audit log's actor. The new key's
secret is only ever in the body of the answer to the form that made it (no redirect, so it is
in no URL; the console's pages are `no-store`); afterwards only its prefix is shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State

from .... import queries as queries_core
from ....admin import issue_key, revoke_key
from ....auth import Role
from ....errors import NotFound
from ...forms import checked_form
from ...models import Page
from ...pages import PAGE_RESPONSES, page_of, render
from ...sessions import ConsoleSession
from ..access import actor_of
from ..home import ADMIN
from . import queries
from .common import (
    TeamChoice,
    checked_pairs,
    clean_name,
    see_other,
    team_names,
    team_tree,
    uuid_or_404,
)

HERE = "/console/admin/keys"
NAV = "admin-keys"


class KeyRow(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    prefix: str
    role: str
    teams: list[str]
    created_at: datetime
    revoked_at: datetime | None


class KeyForm(msgspec.Struct, frozen=True):
    name: str = ""
    role: str = "leader"
    team_ids: list[str] = []


class KeysView(msgspec.Struct, frozen=True):
    page: Page
    keys: list[KeyRow]
    teams: list[TeamChoice]
    form: KeyForm
    errors: dict[str, str]  # field -> text key
    notice: str | None  # text key of a done action


class NewKeyView(msgspec.Struct, frozen=True):
    page: Page
    name: str
    role: str
    teams: list[str]
    secret: str


class RevokeKeyView(msgspec.Struct, frozen=True):
    page: Page
    key: KeyRow
    already: bool


def _row(r: Any, names: dict[UUID, str]) -> KeyRow:
    teams = sorted(names.get(t, str(t)) for t in r["scope_team_ids"] or [])
    return KeyRow(
        r["id"], r["name"], r["prefix"], r["role"], teams, r["created_at"], r["revoked_at"]
    )


async def _keys_view(
    conn: Any,
    request: Request[Any, Any, State],
    session: ConsoleSession,
    *,
    form: KeyForm | None = None,
    errors: dict[str, str] | None = None,
) -> KeysView:
    names = await team_names(conn, session.org_id)
    rows = await conn.fetch(queries_core.LIST_KEYS, session.org_id)
    notice = "keys_revoked" if request.query_params.get("revoked") == "1" else None
    return KeysView(
        page=page_of(session, request, NAV),
        keys=[_row(r, names) for r in reversed(rows)],
        teams=await team_tree(conn, session.org_id),
        form=form or KeyForm(),
        errors=errors or {},
        notice=notice,
    )


async def _key_of(conn: Any, session: ConsoleSession, key_id: str) -> KeyRow:
    row = await conn.fetchrow(queries.KEY_OF_ORG, session.org_id, uuid_or_404(key_id, "key"))
    if row is None:
        raise NotFound("No such key.")
    return _row(row, await team_names(conn, session.org_id))


@get(
    "/admin/keys",
    opt={"view": KeysView},
    dependencies=ADMIN,
    summary="API keys: the list and a form to make one (HTML; admin persons only)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def keys_page(
    request: Request[Any, Any, State], state: State, session: ConsoleSession
) -> Response[bytes]:
    async with state.pool.acquire() as conn:
        view = await _keys_view(conn, request, session)
    return render("admin/keys.html", view.page.lang, v=view)


@post(
    "/admin/keys",
    opt={"view": NewKeyView},
    dependencies=ADMIN,
    summary="Make an API key (form); the answer shows its secret once",
    media_type="text/html",
    responses=PAGE_RESPONSES,
    status_code=200,
)
async def create_key_form(
    request: Request[Any, Any, State], state: State, session: ConsoleSession
) -> Response[bytes]:
    pairs = await checked_pairs(request, session)
    fields = dict(pairs)
    picked = [uuid_or_404(v, "team") for k, v in pairs if k == "team"]
    form = KeyForm(
        name=fields.get("name", "")[:400],
        role=fields.get("role", ""),
        team_ids=[str(t) for t in picked],
    )
    name = clean_name(form.name)
    errors: dict[str, str] = {}
    if name is None:
        errors["name"] = "keys_error_name"
    if form.role not in ("admin", "leader"):
        errors["role"] = "keys_error_role"
    elif form.role == "leader" and not picked:
        errors["teams"] = "keys_error_teams"
    elif form.role == "admin" and picked:
        errors["teams"] = "keys_error_admin_teams"
    async with state.pool.acquire() as conn:
        live = {t.id for t in await team_tree(conn, session.org_id)}
        if any(t not in live for t in picked):
            raise NotFound("No such team.")  # not one of the picker's teams: forged
        if errors or name is None:
            view = await _keys_view(conn, request, session, form=form, errors=errors)
            return render("admin/keys.html", view.page.lang, status=422, v=view)
        role: Role = "admin" if form.role == "admin" else "leader"
        scope = list(dict.fromkeys(picked))
        async with conn.transaction():
            _, secret = await issue_key(conn, actor_of(session), name, role, scope)
        names = await team_names(conn, session.org_id)
    done = NewKeyView(
        page=page_of(session, request, NAV),
        name=name,
        role=role,
        teams=sorted(names[t] for t in scope),
        secret=secret,
    )
    return render("admin/key_new.html", done.page.lang, v=done)


@get(
    "/admin/keys/{key_id:str}/revoke",
    opt={"view": RevokeKeyView},
    dependencies=ADMIN,
    summary="Revoke an API key: the confirmation (HTML)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
)
async def revoke_key_page(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, key_id: str
) -> Response[bytes]:
    async with state.pool.acquire() as conn:
        key = await _key_of(conn, session, key_id)
    view = RevokeKeyView(page_of(session, request, NAV), key, key.revoked_at is not None)
    return render("admin/key_revoke.html", view.page.lang, v=view)


@post(
    "/admin/keys/{key_id:str}/revoke",
    opt={"view": RevokeKeyView},
    dependencies=ADMIN,
    summary="Revoke an API key (form)",
    media_type="text/html",
    responses=PAGE_RESPONSES,
    status_code=200,
)
async def revoke_key_form(
    request: Request[Any, Any, State], state: State, session: ConsoleSession, key_id: str
) -> Response[bytes]:
    await checked_form(request, session)
    async with state.pool.acquire() as conn:
        key = await _key_of(conn, session, key_id)
        if key.revoked_at is not None:
            view = RevokeKeyView(page_of(session, request, NAV), key, True)
            return render("admin/key_revoke.html", view.page.lang, status=409, v=view)
        await revoke_key(conn, actor_of(session), key.id)
    return see_other(f"{HERE}?revoked=1")


HANDLERS: list[Any] = [keys_page, create_key_form, revoke_key_page, revoke_key_form]
