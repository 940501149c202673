"""Org API keys: who is calling, for which org, and which teams they may see.

A key is `cnd_` + 43 URL-safe characters (256 bits). Only its sha256 is stored, with a short
prefix for recognition. `admin` keys see their whole org; `leader` keys see the subtrees under
their scope teams. Anything outside a key's org or scope answers 404, never 403, so a caller
cannot learn that something exists.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, Literal
from uuid import UUID

import asyncpg
import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.handlers import BaseRouteHandler

from . import queries
from .errors import NotFound, Unauthorized

Role = Literal["admin", "leader"]
KEY_PREFIX = "cnd_"


class Principal(msgspec.Struct, frozen=True):
    org_id: UUID
    key_id: UUID
    role: Role
    scope_team_ids: tuple[UUID, ...]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def require_admin(self) -> None:
        # 404 rather than 403: a leader key should not learn that an admin route's object exists.
        if not self.is_admin:
            raise NotFound("Not found.")


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _bearer(request: ASGIConnection[Any, Any, Any, Any]) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        raise Unauthorized(
            "Send an org API key as 'Authorization: Bearer cnd_...'.",
            headers={"WWW-Authenticate": 'Bearer realm="candor"'},
        )
    return value


async def authenticate(pool: asyncpg.Pool, key: str) -> Principal:
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        raise Unauthorized(
            "The API key is not valid.", headers={"WWW-Authenticate": 'Bearer realm="candor"'}
        )
    row = await pool.fetchrow(queries.KEY_BY_HASH, hash_secret(key))
    if row is None:
        raise Unauthorized(
            "The API key is not valid.", headers={"WWW-Authenticate": 'Bearer realm="candor"'}
        )
    return Principal(row["org_id"], row["id"], row["role"], tuple(row["scope_team_ids"]))


def requires_principal(handler: BaseRouteHandler) -> bool:
    """Does this route take an org API key (through the `provide_principal` dependency)?"""
    return any(p.dependency is provide_principal for p in handler.resolve_dependencies().values())


async def _principal_of(connection: ASGIConnection[Any, Any, Any, Any], state: State) -> Principal:
    key = _bearer(connection)
    limiter = getattr(state, "auth_failure_limiter", None)
    if limiter is not None:
        await limiter.check(connection)
    try:
        return await authenticate(state.pool, key)
    except Unauthorized:
        if limiter is not None:
            await limiter.record_failure(connection)
        raise


async def authenticate_first(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """App-wide guard: authenticate a keyed route before anything reads its body.

    Litestar parses the body before it resolves dependencies, so a caller without a key could
    otherwise make the server read and decode whatever it sends. Guards run first.
    """
    if requires_principal(handler):
        connection.state.principal = await _principal_of(connection, connection.app.state)


async def provide_principal(request: Request[Any, Any, State], state: State) -> Principal:
    """Litestar dependency: the authenticated caller of an admin or leader route."""
    principal = getattr(request.state, "principal", None)
    if isinstance(principal, Principal):  # authenticate_first got it already
        return principal
    return await _principal_of(request, state)


async def create_key(
    conn: asyncpg.Connection,
    org_id: UUID,
    name: str,
    role: Role,
    scope_team_ids: list[UUID] | None = None,
) -> tuple[UUID, str]:
    """Store a new key and return (key id, the key itself — shown once, never again)."""
    key = new_key()
    key_id = await conn.fetchval(
        queries.INSERT_KEY,
        org_id,
        name,
        key[:12],
        hash_secret(key),
        role,
        scope_team_ids or [],
    )
    return key_id, key


async def visible_team_ids(conn: asyncpg.Connection | asyncpg.Pool, who: Principal) -> set[UUID]:
    """Every team id the caller may see (for admins: every team of the org)."""
    if who.is_admin:
        rows = await conn.fetch(queries.ALL_TEAMS, who.org_id)
    else:
        rows = await conn.fetch(queries.VISIBLE_TEAMS, who.org_id, list(who.scope_team_ids))
    return {r["id"] for r in rows}


async def require_team_in_scope(
    conn: asyncpg.Connection | asyncpg.Pool, who: Principal, team_id: UUID
) -> None:
    """404 unless the team exists in the caller's org and scope (the two are indistinguishable)."""
    if who.is_admin:
        found = await conn.fetchval(queries.TEAM_EXISTS, who.org_id, team_id)
    else:
        found = await conn.fetchval(
            queries.TEAM_VISIBLE,
            who.org_id,
            list(who.scope_team_ids),
            team_id,
        )
    if not found:
        raise NotFound("No such team.")
