"""Server-side console sessions, their cookie, and the CSRF tokens of every console form.

The cookie holds 256 random bits; the database holds only their sha256, with the person, the
CSRF secret and three ends: sign-out, idle expiry (moved on as the console is used, at most once
a minute so reading pages is not a write each time) and absolute expiry (fixed at sign-in). A
valid session becomes the same `service.auth.Principal` a leader API key would be: role "admin"
for an admin person, else "leader" scoped to the teams the person leads, read afresh on every
request so a change of roles applies at once.

Forms before sign-in (the sign-in form, the link's confirm button) carry a double-submit token:
a random cookie and, in the form, its HMAC under SECRET_KEY; a cross-site POST carries neither.
Every time comparison takes `now` from `clock()`, so tests move time instead of sleeping.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import UUID

import asyncpg
import msgspec
from litestar import Request
from litestar.datastructures import Cookie, State

from ..auth import Principal, Role
from ..errors import CandorError
from . import queries
from .config import ConsoleConfig, console_config

COOKIE = "candor_console"
PRE_COOKIE = "candor_console_pre"
COOKIE_PATH = "/console"
_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
_PRE_DOMAIN = b"candor-console-form:"


class SignInRequired(CandorError):
    """No valid session: the page answers with a redirect to the sign-in page."""

    status = 401
    title = "Sign-in required"

    def __init__(self, next_path: str) -> None:
        super().__init__("Sign in to see this page.")
        self.next_path = next_path


class CsrfRefused(CandorError):
    status = 403
    title = "Form expired"


class ConsoleSession(msgspec.Struct, frozen=True):
    org_id: UUID
    session_id: UUID
    person_id: UUID
    display_name: str
    org_name: str
    admin: bool
    locale: str
    results_mail: bool
    team_ids: tuple[UUID, ...]
    csrf: str

    @property
    def principal(self) -> Principal:
        """What a leader key scoped to this person's teams (or an admin key) would be."""
        role: Role = "admin" if self.admin else "leader"
        return Principal(self.org_id, self.session_id, role, self.team_ids)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("ascii")).digest()


def well_formed(value: str | None) -> bool:
    return value is not None and _SHAPE.fullmatch(value) is not None


def clock(state: State) -> datetime:
    """Now, or the time a test set through `state.console_clock`."""
    fake = cast(Callable[[], datetime] | None, getattr(state, "console_clock", None))
    return fake() if fake is not None else datetime.now(UTC)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


async def start_session(
    conn: asyncpg.Connection | Any,
    org_id: UUID,
    person_id: UUID,
    now: datetime,
    config: ConsoleConfig | None = None,
) -> str:
    """Store a new session and return the cookie value (the only copy of it)."""
    config = config or console_config()
    value = new_secret()
    ends = now + timedelta(hours=config.session_hours)
    idle = min(now + timedelta(minutes=config.idle_minutes), ends)
    await conn.execute(
        queries.INSERT_SESSION,
        org_id,
        digest(value),
        person_id,
        secrets.token_bytes(32),
        now,
        idle,
        ends,
    )
    return value


async def load_session(
    conn: asyncpg.Connection | Any,
    value: str | None,
    now: datetime,
    config: ConsoleConfig | None = None,
) -> ConsoleSession | None:
    """The live session behind a cookie value, its idle expiry moved on; None otherwise."""
    if not well_formed(value):
        return None
    assert value is not None
    config = config or console_config()
    row = await conn.fetchrow(queries.SESSION_BY_HASH, digest(value), now, config.idle_minutes)
    if row is None or not row["active"]:
        return None
    return ConsoleSession(
        org_id=row["org_id"],
        session_id=row["id"],
        person_id=row["person_id"],
        display_name=row["display_name"],
        org_name=row["org_name"],
        admin=row["admin"],
        locale=row["locale"],
        results_mail=row["results_mail"],
        team_ids=tuple(row["team_ids"]),
        csrf=_b64(row["csrf_secret"]),
    )


async def end_session(
    conn: asyncpg.Connection | Any, session: ConsoleSession, now: datetime
) -> None:
    await conn.execute(queries.END_SESSION, session.org_id, session.session_id, now)


def csrf_ok(session: ConsoleSession, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(session.csrf, submitted or "")


def pre_token(secret_key: str, nonce: str) -> str:
    """The form token that goes with a pre-session cookie `nonce`."""
    mac = hmac.new(secret_key.encode(), _PRE_DOMAIN + nonce.encode("ascii"), hashlib.sha256)
    return _b64(mac.digest())


def pre_ok(secret_key: str, nonce: str | None, submitted: str | None) -> bool:
    if not well_formed(nonce) or not submitted:
        return False
    assert nonce is not None
    return hmac.compare_digest(pre_token(secret_key, nonce), submitted)


def is_secure(public_base_url: str) -> bool:
    return public_base_url.startswith("https://")


def cookie(name: str, value: str, *, secure: bool, max_age: int) -> Cookie:
    return Cookie(
        key=name,
        value=value,
        path=COOKIE_PATH,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def session_max_age(config: ConsoleConfig | None = None) -> int:
    return (config or console_config()).session_hours * 3600


async def provide_session(request: Request[Any, Any, State], state: State) -> ConsoleSession:
    """Litestar dependency of every signed-in page: the session, or a redirect to sign in."""
    async with state.pool.acquire() as conn:
        session = await load_session(conn, request.cookies.get(COOKIE), clock(state))
    if session is None:
        path = request.url.path
        query = request.url.query
        raise SignInRequired(f"{path}?{query}" if query and request.method == "GET" else path)
    # An error page of this request (console_error) speaks the person's language too.
    request.scope.setdefault("state", {})["console_locale"] = session.locale
    return session
