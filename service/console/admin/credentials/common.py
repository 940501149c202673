"""What the keys, widgets and audit pages share: the team picker, form values, checks."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any
from urllib.parse import parse_qsl
from uuid import UUID

import asyncpg
import msgspec
from litestar import Request, Response

from ....errors import NotFound
from ....guard import NOT_ABOUT_ANSWERS
from ...forms import FORM_MAX_BYTES
from ...pages import HEADERS
from ...sessions import ConsoleSession, CsrfRefused, csrf_ok
from . import queries

NAME_MAX = 200
MAX_PICKED = 100  # teams a key may be scoped to (as KeyIn in service/admin.py)


class TeamChoice(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    depth: Annotated[int, NOT_ABOUT_ANSWERS]  # how far below a top team (indentation)


async def team_tree(conn: asyncpg.Connection, org_id: UUID) -> list[TeamChoice]:
    """The org's live teams in tree order (each below its parent, siblings by name)."""
    rows = await conn.fetch(queries.TEAM_TREE, org_id)
    ids = {r["id"] for r in rows}
    children: dict[UUID | None, list[asyncpg.Record]] = {}
    for r in rows:
        parent = r["parent_id"] if r["parent_id"] in ids else None
        children.setdefault(parent, []).append(r)
    out: list[TeamChoice] = []

    def walk(parent: UUID | None, depth: int) -> None:
        for r in sorted(children.get(parent, []), key=lambda r: (r["name"].casefold(), r["id"])):
            out.append(TeamChoice(r["id"], r["name"], min(depth, 5)))
            walk(r["id"], depth + 1)

    walk(None, 0)
    return out


async def team_names(conn: asyncpg.Connection, org_id: UUID) -> dict[UUID, str]:
    return {r["id"]: r["name"] for r in await conn.fetch(queries.TEAM_NAMES, org_id)}


async def checked_pairs(
    request: Request[Any, Any, Any], session: ConsoleSession
) -> list[tuple[str, str]]:
    """Every (name, value) of a posted form, repeated names included (ticked boxes), once its
    CSRF token matches the session's (403 otherwise, as `forms.checked_form`). Room for up to
    MAX_PICKED ticked teams, the most a key may be scoped to."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    pairs: list[tuple[str, str]] = []
    if media == "application/x-www-form-urlencoded" and len(body) <= FORM_MAX_BYTES:
        try:
            pairs = parse_qsl(
                body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_PICKED + 16
            )
        except (UnicodeDecodeError, ValueError):
            pairs = []  # an unreadable form carries no token either
    token = next((v for k, v in reversed(pairs) if k == "csrf"), None)
    if not csrf_ok(session, token):
        raise CsrfRefused("The form's token does not match this session.")
    return [(k, v.replace("\x00", "")) for k, v in pairs]


def clean_name(value: str) -> str | None:
    """A name or label as typed, trimmed; None when empty, too long or holding control characters
    (a name shows up in lists and in the audit log, where a line break or escape would mislead)."""
    value = value.strip()
    if not value or len(value) > NAME_MAX:
        return None
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        return None
    return value


def uuid_or_404(value: str, what: str = "page") -> UUID:
    """An id from a path or a form; anything else is something that does not exist."""
    try:
        return UUID(value)
    except ValueError:
        raise NotFound(f"No such {what}.") from None


def see_other(location: str) -> Response[bytes]:
    return Response(
        b"",
        status_code=303,
        media_type="text/html",
        headers={**HEADERS, "Location": location},
    )
