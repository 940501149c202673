"""Magic-link sign-in: ask for a link by email, confirm it, get a session.

A link's token is base64url(HMAC-SHA256(SECRET_KEY, "candor-console-link:" + link id)); only
its sha256 is stored, so the mail job derives the token when it writes the mail and a dump of
the database holds no usable link. A link lives 15 minutes and works once. Asking for a link
answers the same whatever the address, and at most `links_per_hour` links are made for one
person per hour (beyond that the request is quietly dropped, with the same answer). Opening a
link shows a button; only pressing it (a POST) uses the link, so a mail scanner that follows
links cannot spend it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from . import queries
from .config import LINK_MINUTES, ConsoleConfig, console_config
from .sessions import digest, start_session, well_formed

_DOMAIN = b"candor-console-link:"
# A console path, nothing that could lead off-site ("//host", "/\\host") or carry a scheme.
_NEXT = re.compile(r"/console(/[A-Za-z0-9._~/-]*)?(\?[A-Za-z0-9._~=&%-]*)?")
DEFAULT_NEXT = "/console/teams"


class LinkInfo(msgspec.Struct, frozen=True):
    org_id: UUID
    person_id: UUID
    display_name: str
    org_name: str
    locale: str


class SignedIn(msgspec.Struct, frozen=True):
    cookie: str
    next_path: str


def link_token(secret_key: str, link_id: UUID) -> str:
    mac = hmac.new(secret_key.encode(), _DOMAIN + link_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def safe_next(value: str | None) -> str | None:
    """`value` when it is a console path we may send a person to after sign-in, else None."""
    if not value or len(value) > 300 or "//" in value or not _NEXT.fullmatch(value):
        return None
    return value


async def request_links(
    conn: asyncpg.Connection | Any,
    secret_key: str,
    email: str,
    next_path: str | None,
    now: datetime,
    config: ConsoleConfig | None = None,
) -> list[tuple[UUID, UUID]]:
    """Make a link (and queue its mail) for every org where `email` may sign in.

    Returns (org id, console mail id) per queued mail; empty for an unknown address or when
    the per-person limit is reached. The caller tells the person the same thing either way.
    """
    config = config or console_config()
    queued: list[tuple[UUID, UUID]] = []
    async with conn.transaction():
        for row in await conn.fetch(queries.SIGNIN_PEOPLE, email.strip()):
            org_id, person_id = row["org_id"], row["id"]
            recent = await conn.fetchval(
                queries.RECENT_LINKS, org_id, person_id, now - timedelta(hours=1)
            )
            if recent >= config.links_per_hour:
                continue
            link_id = uuid.uuid4()
            token_hash = digest(link_token(secret_key, link_id))
            await conn.execute(
                queries.INSERT_LINK,
                org_id,
                link_id,
                person_id,
                token_hash,
                safe_next(next_path),
                now,
                now + timedelta(minutes=LINK_MINUTES),
            )
            mail_id = await conn.fetchval(
                queries.INSERT_SIGNIN_MAIL, org_id, person_id, link_id, now
            )
            queued.append((org_id, mail_id))
    return queued


async def link_info(conn: asyncpg.Connection | Any, token: str, now: datetime) -> LinkInfo | None:
    """Who a still usable link signs in, for its confirm page; None for any other link."""
    if not well_formed(token):
        return None
    row = await conn.fetchrow(queries.LINK_BY_HASH, digest(token), now)
    if row is None:
        return None
    return LinkInfo(
        row["org_id"], row["person_id"], row["display_name"], row["org_name"], row["locale"]
    )


async def use_link(
    conn: asyncpg.Connection | Any, token: str, now: datetime, config: ConsoleConfig | None = None
) -> SignedIn | None:
    """Spend the link and start a session; None when the link cannot be used (any reason)."""
    if not well_formed(token):
        return None
    async with conn.transaction():
        row = await conn.fetchrow(queries.USE_LINK, digest(token), now)
        if row is None:
            return None
        value = await start_session(conn, row["org_id"], row["person_id"], now, config)
    return SignedIn(value, safe_next(row["next_path"]) or DEFAULT_NEXT)
