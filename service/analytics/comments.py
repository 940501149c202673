"""Free-text comments of a team (or subtree) in one closed wave, gated by the guard.

Comments are shown only for groups of at least the wave's comment threshold whose comments
were not hidden as a complement, as bare texts (no id, no date), in the random order in which
they were stored at close.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec

from .. import guard
from ..errors import Conflict, NotFound
from . import queries
from .trends import Conn, Scope


class TeamComments(msgspec.Struct, frozen=True):
    team_id: Annotated[
        UUID,
        msgspec.Meta(description="The team", examples=["2b8e6a41-0c3d-4f5e-8a9b-7c1d2e3f4a50"]),
    ]
    wave_id: Annotated[
        UUID,
        msgspec.Meta(
            description="The closed wave", examples=["6f1c0d2e-4b7a-4e21-9a3c-1d5e8f2b7c40"]
        ),
    ]
    scope: Annotated[
        Scope,
        msgspec.Meta(
            description="`team`: the team's own people; `subtree`: with every team below it",
            examples=["team"],
        ),
    ]
    shown: Annotated[
        bool,
        msgspec.Meta(
            description="True when the group had enough responses for its comments to be shown",
            examples=[True],
        ),
    ]
    reason: Annotated[
        str | None,
        msgspec.Meta(
            description="Why no comments are shown, in words; null when shown", examples=[None]
        ),
    ]
    total: Annotated[
        Annotated[int | None, guard.DERIVED],
        msgspec.Meta(description="How many comments there are (only when shown)", examples=[14]),
    ]  # how many comments (only when shown)
    limit: Annotated[guard.Meta, msgspec.Meta(description="The page size asked for", examples=[50])]
    offset: Annotated[
        guard.Meta,
        msgspec.Meta(description="How many comments come before this page", examples=[0]),
    ]
    comments: Annotated[
        list[str],
        msgspec.Meta(
            description="The comments of this page, never with who wrote them or when",
            examples=[["We could say more often what we are unsure about."]],
        ),
    ]
    group: Annotated[
        str | None,
        msgspec.Meta(
            description='The group whose comments these are ("Data & Design" when pooled)',
            examples=["Platform"],
        ),
    ] = None  # the group whose comments these are ("Data & Design" when pooled)


async def team_comments(
    conn: Conn,
    org_id: UUID,
    team_id: UUID,
    wave_id: UUID,
    *,
    subtree: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> TeamComments:
    scope: Scope = "subtree" if subtree else "team"
    row = await conn.fetchrow(queries.COMMENT_GROUP, org_id, wave_id, team_id, scope)
    if row is None or not row["in_wave"]:
        raise NotFound("No such wave for this team.")
    if row["state"] != "closed":
        raise Conflict(f"This wave is still open; {guard.OPEN_REASON} until it closes.")
    bodies: list[str] = []
    n = row["n"] or 0
    # Read texts only when the guard would let a group of this size through at all.
    if row["comments_hidden"] is None and n >= row["comment_k"]:
        if row["planned"]:
            # The plan says whose comments the group holds (a pooled group: all its teams).
            teams = list(row["atoms"] or [])
        elif subtree:  # a wave closed before plans were kept: the frozen subtree
            tree = await conn.fetch(queries.WAVE_TREE, org_id, wave_id)
            teams = below(team_id, [(r["team_id"], r["parent_id"]) for r in tree])
        else:
            teams = [team_id]
        rows = await conn.fetch(queries.COMMENT_BODIES, org_id, wave_id, teams, limit, offset)
        bodies = [r["body"] for r in rows]
    released = guard.release_comments(
        bodies, n, row["comments_hidden"], comment_k=row["comment_k"], wave_closed=True
    )
    group = row["name"]
    if isinstance(released, guard.Withheld):
        return TeamComments(
            team_id, wave_id, scope, False, released.reason, None, limit, offset, [], group
        )
    return TeamComments(
        team_id, wave_id, scope, True, None, row["comments"], limit, offset, released, group
    )


def below(root: UUID, pairs: list[tuple[UUID, UUID | None]]) -> list[UUID]:
    """`root` and every team under it in a wave's frozen tree, given as (team, parent) pairs."""
    children: dict[UUID, list[UUID]] = {}
    for team, parent in pairs:
        if parent is not None:
            children.setdefault(parent, []).append(team)
    found, stack = [root], [root]
    seen = {root}
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in seen:  # a frozen tree has no cycles; this only keeps us safe
                seen.add(child)
                found.append(child)
                stack.append(child)
    return found
