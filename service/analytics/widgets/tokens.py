"""Widget tokens: minted, stored hashed, resolved on every embed request, revoked.

A token is `cwt_` + 43 URL-safe characters (256 bits). Only its sha256 is stored. `resolve()`
answers with one small query both "is this token valid right now" and "what is the org's latest
closed wave" (the only event that changes a widget's numbers). Embed requests go through
tokencache.py, which keeps answers in memory only while PostgreSQL NOTIFY can invalidate them.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from urllib.parse import urlsplit
from uuid import UUID

import asyncpg
import msgspec

from . import queries

TOKEN_PREFIX = "cwt_"  # noqa: S105 - a marker, not a secret
# Anything longer than a real token cannot be one; refuse it before hashing or querying.
MAX_TOKEN_CHARS = 64
_TOKEN_SHAPE = re.compile(r"^cwt_[A-Za-z0-9_-]{43}$")


class ResolvedToken(msgspec.Struct, frozen=True):
    """A valid token as one request sees it, plus the org's publication stamp for ETags."""

    org_id: UUID
    id: UUID
    team_id: UUID
    subtree: bool
    allowed_origins: tuple[str, ...]
    closed_waves: int
    last_closed_at: datetime | None
    focus_stamp: datetime | None = None  # when the team's focus last changed (for ETags)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def looks_like_token(token: str) -> bool:
    return len(token) <= MAX_TOKEN_CHARS and bool(_TOKEN_SHAPE.match(token))


def normalise_origin(value: str) -> str | None:
    """`https://Wiki.Example.com:443/` -> `https://wiki.example.com`; None when not an origin."""
    value = value.strip()
    if len(value) > 255 or any(c in value for c in " \t\r\n;,'\"*"):
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    default = 443 if parts.scheme == "https" else 80
    suffix = f":{port}" if port is not None and port != default else ""
    return f"{parts.scheme}://{host}{suffix}"


async def store_token(
    conn: asyncpg.Connection | asyncpg.Pool,
    org_id: UUID,
    *,
    team_id: UUID,
    subtree: bool,
    allowed_origins: list[str],
    label: str,
    expires_at: datetime,
) -> tuple[UUID, datetime, str]:
    """Store a new token; return (id, created_at, the token itself — shown once, never again)."""
    token = new_token()
    row = await conn.fetchrow(
        queries.INSERT_TOKEN,
        org_id,
        hash_token(token),
        token[:10],
        team_id,
        subtree,
        allowed_origins,
        label,
        expires_at,
    )
    assert row is not None
    return row["id"], row["created_at"], token


async def resolve_row(pool: asyncpg.Pool, key: bytes) -> tuple[ResolvedToken, datetime] | None:
    """(the token, when it expires) if the token with this hash is valid now, else None."""
    row = await pool.fetchrow(queries.RESOLVE_TOKEN, key)
    if row is None:
        return None
    resolved = ResolvedToken(
        org_id=row["org_id"],
        id=row["id"],
        team_id=row["team_id"],
        subtree=row["subtree"],
        allowed_origins=tuple(row["allowed_origins"]),
        closed_waves=row["closed_waves"],
        last_closed_at=row["last_closed_at"],
        focus_stamp=row["focus_stamp"],
    )
    return resolved, row["expires_at"]


async def resolve(pool: asyncpg.Pool, token: str) -> ResolvedToken | None:
    """The token if it is valid at this moment, else None (unknown, malformed, revoked, expired)."""
    if not looks_like_token(token):
        return None
    found = await resolve_row(pool, hash_token(token))
    return None if found is None else found[0]


async def team_is_live(
    conn: asyncpg.Connection | asyncpg.Pool, org_id: UUID, team_id: UUID
) -> bool:
    """A widget can only be made for a team of the org that is not archived."""
    return bool(await conn.fetchval(queries.LIVE_TEAM, org_id, team_id))


async def list_tokens(
    conn: asyncpg.Connection | asyncpg.Pool, org_id: UUID
) -> list[asyncpg.Record]:
    """The org's tokens (never the token itself), oldest first, with whether each still works."""
    return list(await conn.fetch(queries.LIST_TOKENS, org_id))


async def revoke_token(
    conn: asyncpg.Connection | asyncpg.Pool, org_id: UUID, token_id: UUID
) -> bool:
    """Revoke a token (idempotent); False when the org has no such token."""
    return bool(await conn.fetchval(queries.REVOKE_TOKEN, org_id, token_id))
