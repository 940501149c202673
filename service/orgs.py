"""Orgs: creating one (the org row, what each domain sets up, a first admin key) and the org's
anonymity floors.

The floors are the lowest k and comment_k any pulse of the org may use (default 5 and 10, never
below 3, the comment floor at least the k floor). Only the operator changes them, through
`candor org floors`; the API shows them and refuses a pulse or a wave below them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from uuid import UUID

import asyncpg
import msgspec

from . import queries
from .audit import Actor, record
from .auth import create_key
from .errors import NotFound, UnprocessableEntity
from .text import has_control_characters

OrgSetup = Callable[[asyncpg.Connection, UUID], Awaitable[None]]

LOWEST_K = 3  # the design's bound: no floor, and so no pulse, goes below it
FLOOR_HINT = "the operator can change floors with `candor org floors`"
# The codes of a refusal below the floors (a page words them; see CandorError.code).
FLOOR_CODES = tuple(
    f"floor.{when}{under}" for when in ("", "open_") for under in ("k", "comment_k", "both")
)


class Floors(msgspec.Struct, frozen=True):
    k: int
    comment_k: int


DEFAULT_FLOORS = Floors(5, 10)


def org_name(name: str) -> str:
    """The name as stored (trimmed); ValueError, in words for the operator, when it is unfit.

    It travels into mail subjects and pages, so it holds no control characters (line breaks,
    tabs, ...), like every other name (service/text.py).
    """
    if has_control_characters(name):
        raise ValueError("an org name may not contain control characters (line breaks, tabs, ...)")
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise ValueError("an org name has 1 to 200 characters")
    return name


def checked_floors(k: int, comment_k: int) -> Floors:
    """The floors, or ValueError in words for the operator (the table's CHECKs agree)."""
    if not LOWEST_K <= k <= 100:
        raise ValueError(f"the k floor must be between {LOWEST_K} and 100, not {k}")
    if not LOWEST_K <= comment_k <= 1000:
        raise ValueError(
            f"the comment_k floor must be between {LOWEST_K} and 1000, not {comment_k}"
        )
    if comment_k < k:
        raise ValueError(f"the comment_k floor ({comment_k}) must be at least the k floor ({k})")
    return Floors(k, comment_k)


async def create_org(
    conn: asyncpg.Connection,
    name: str,
    setup: Sequence[OrgSetup] = (),
    *,
    floors: Floors = DEFAULT_FLOORS,
) -> tuple[UUID, str]:
    """Create the org in the caller's transaction; return (org id, first admin key).

    Orgs are made by the operator (the CLI, or the try-out's seed), so the log names the CLI.
    """
    name = org_name(name)
    floors = checked_floors(floors.k, floors.comment_k)
    org_id: UUID = await conn.fetchval(queries.INSERT_ORG, name, floors.k, floors.comment_k)
    by = Actor.cli(org_id)
    await record(
        conn,
        by,
        "org.create",
        "org",
        org_id,
        {"name": name, "floor_k": floors.k, "floor_comment_k": floors.comment_k},
    )
    for step in setup:
        await step(conn, org_id)
    key_id, key = await create_key(conn, org_id, "first admin key", "admin")
    await record(conn, by, "key.create", "api_key", key_id, {"role": "admin"})
    return org_id, key


async def find_org(conn: asyncpg.Connection, ref: str) -> tuple[UUID, str]:
    """(id, name) of the org named by its id or its exact name; LookupError in words."""
    try:
        org_id = UUID(ref)
    except ValueError:
        rows = await conn.fetch(queries.ORGS_BY_NAME, ref)
        if not rows:
            raise LookupError(f"no org named {ref!r} (give its id or its exact name)") from None
        if len(rows) > 1:
            raise LookupError(f"more than one org is named {ref!r}; give its id") from None
        return rows[0]["id"], rows[0]["name"]
    found = await conn.fetchval(queries.ORG_NAME, org_id)
    if found is None:
        raise LookupError(f"no org {org_id}")
    return org_id, found


async def org_floors(conn: asyncpg.Connection | asyncpg.Pool, org_id: UUID) -> Floors:
    row = await conn.fetchrow(queries.ORG_FLOORS, org_id)
    if row is None:
        raise NotFound("No such org.")
    return Floors(row["floor_k"], row["floor_comment_k"])


async def set_floors(
    conn: asyncpg.Connection, org_id: UUID, k: int | None, comment_k: int | None, actor: Actor
) -> tuple[Floors, Floors]:
    """Change the org's floors (None keeps one as it is); return (before, after).

    Waves already opened keep the thresholds they were opened with; pulses below the new
    floors open no wave until an admin raises them.
    """
    async with conn.transaction():
        row = await conn.fetchrow(queries.ORG_FLOORS_FOR_UPDATE, org_id)
        if row is None:
            raise LookupError(f"no org {org_id}")
        before = Floors(row["floor_k"], row["floor_comment_k"])
        after = checked_floors(
            before.k if k is None else k, before.comment_k if comment_k is None else comment_k
        )
        if after != before:
            await conn.execute(queries.SET_ORG_FLOORS, org_id, after.k, after.comment_k)
            await record(
                conn,
                actor,
                "org.floors",
                "org",
                org_id,
                {
                    "k": after.k,
                    "comment_k": after.comment_k,
                    "previous_k": before.k,
                    "previous_comment_k": before.comment_k,
                },
            )
    return before, after


async def require_within_floors(
    conn: asyncpg.Connection,
    org_id: UUID,
    k: int,
    comment_k: int,
    *,
    opening: UUID | None = None,
) -> None:
    """422 when thresholds go below the org's floors, saying which and who can change them.

    `opening` is the pulse whose wave is about to open: its message says what the admin does.
    """
    floors = await org_floors(conn, org_id)
    low = []
    if k < floors.k:
        low.append(f"k must be at least {floors.k}" + (f" (the pulse has {k})" if opening else ""))
    if comment_k < floors.comment_k:
        low.append(
            f"comment_k must be at least {floors.comment_k}"
            + (f" (the pulse has {comment_k})" if opening else "")
        )
    if not low:
        return
    which = "this organisation's floor" + ("s" if len(low) > 1 else "")
    under = "both" if len(low) > 1 else "k" if k < floors.k else "comment_k"
    values: dict[str, str | int | list[str]] = {
        "floor_k": floors.k,
        "floor_comment_k": floors.comment_k,
        "k": k,
        "comment_k": comment_k,
    }
    if opening is None:
        raise UnprocessableEntity(
            f"{' and '.join(low)}, {which}; {FLOOR_HINT}.", code=f"floor.{under}", values=values
        )
    raise UnprocessableEntity(
        f"No wave opens below the floors: {' and '.join(low)}, {which}. An admin raises the "
        f"pulse's thresholds first (PATCH /api/v1/pulses/{opening}); {FLOOR_HINT}.",
        code=f"floor.open_{under}",
        values=values,
    )
