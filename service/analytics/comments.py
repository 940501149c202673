"""Free-text comments of a team (or subtree) in one closed wave, gated by the guard.

Comments are shown only for groups of at least the wave's comment threshold whose comments
were not hidden as a complement, as bare texts (no id, no date), in the random order in which
they were stored at close.
"""

from __future__ import annotations

from uuid import UUID

import msgspec

from .. import guard
from ..errors import Conflict, NotFound
from .trends import Conn, Scope


class TeamComments(msgspec.Struct, frozen=True):
    team_id: UUID
    wave_id: UUID
    scope: Scope
    shown: bool
    reason: str | None
    total: int | None  # how many comments (only when shown)
    limit: int
    offset: int
    comments: list[str]


_GROUP = """
SELECT w.state, w.comment_k, g.n, g.comments, g.comments_hidden,
       EXISTS (SELECT 1 FROM wave_teams wt WHERE wt.org_id = w.org_id AND wt.wave_id = w.id
               AND wt.team_id = $3) AS in_wave
FROM waves w
LEFT JOIN wave_groups g ON g.org_id = w.org_id AND g.wave_id = w.id AND g.team_id = $3
                       AND g.scope = $4
WHERE w.org_id = $1 AND w.id = $2
"""

# The team itself, or every team below it in the wave's frozen tree.
_BODIES = """
WITH RECURSIVE sub AS (
    SELECT team_id FROM wave_teams WHERE org_id = $1 AND wave_id = $2 AND team_id = $3
    UNION ALL
    SELECT wt.team_id FROM wave_teams wt JOIN sub ON wt.parent_id = sub.team_id
    WHERE wt.org_id = $1 AND wt.wave_id = $2 AND $4
)
SELECT c.body FROM comments c
WHERE c.org_id = $1 AND c.wave_id = $2 AND c.team_id IN (SELECT team_id FROM sub)
ORDER BY c.id
LIMIT $5 OFFSET $6
"""


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
    row = await conn.fetchrow(_GROUP, org_id, wave_id, team_id, scope)
    if row is None or not row["in_wave"]:
        raise NotFound("No such wave for this team.")
    if row["state"] != "closed":
        raise Conflict(f"This wave is still open; {guard.OPEN_REASON} until it closes.")
    bodies: list[str] = []
    n = row["n"] or 0
    # Read texts only when the guard would let a group of this size through at all.
    if row["comments_hidden"] is None and n >= row["comment_k"]:
        rows = await conn.fetch(_BODIES, org_id, wave_id, team_id, subtree, limit, offset)
        bodies = [r["body"] for r in rows]
    released = guard.release_comments(
        bodies, n, row["comments_hidden"], comment_k=row["comment_k"], wave_closed=True
    )
    if isinstance(released, guard.Withheld):
        return TeamComments(
            team_id, wave_id, scope, False, released.reason, None, limit, offset, []
        )
    return TeamComments(
        team_id, wave_id, scope, True, None, row["comments"], limit, offset, released
    )
