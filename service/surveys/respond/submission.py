"""Submissions: the rules for a valid one and the SQL that stores it as a sealed ballot.

`submit_response` is ONE statement that checks the token, the wave and the answers, marks the
invitation responded and drops (wave, team, answers, comment) into the ballot box, nothing more;
so a token is used exactly once however many requests race, and a good submit costs one round
trip. When it refuses, `find_invitation` + `check_answers` (the authority on what is valid) say
why, and `store_checked_ballot` stores what those rules accept if the SQL check was stricter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from .tokens import is_well_formed, token_hash

COMMENT_MAX = 2000

# Something that reads as an HTML tag or comment; "a < b" and "<3" stay allowed.
_MARKUP = re.compile(r"<\s*[/!?]?\s*[A-Za-z]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INTEGER = re.compile(r"-?[0-9]{1,4}")


class Invitation(msgspec.Struct, frozen=True):
    org_id: UUID
    wave_id: UUID
    team_id: UUID
    responded: bool
    is_open: bool
    k: int
    comment_k: int
    locale: str
    items: list[dict[str, Any]]  # {"key", "texts", "min", "max"} in the wave's order


_FIND = """
SELECT i.org_id, i.wave_id, i.team_id, i.responded,
       (w.state = 'open' AND w.closes_at > now()) AS is_open, w.k, w.comment_k, p.locale,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('key', it.key, 'texts', it.texts,
                                                     'min', it.scale_min, 'max', it.scale_max)
                                  ORDER BY array_position(w.item_keys, it.key)), '[]'::jsonb)
        FROM items it WHERE it.org_id = w.org_id AND it.key = ANY(w.item_keys)) AS items
FROM invitations i
JOIN waves w ON w.org_id = i.org_id AND w.id = i.wave_id
JOIN people p ON p.org_id = i.org_id AND p.id = i.person_id
WHERE i.token_hash = $1
"""

# One statement, so one transaction. FOR KEY SHARE on the wave conflicts with close_wave's
# FOR UPDATE: a submit either lands before the box is emptied or sees the wave closed.
# The invitation's `NOT responded` makes the token single-use under any concurrency.
_SUBMIT = """
WITH open_wave AS (
    SELECT org_id, id FROM waves
    WHERE org_id = $2 AND id = $3 AND state = 'open' AND closes_at > now()
    FOR KEY SHARE
), used AS (
    UPDATE invitations i SET responded = true
    FROM open_wave w
    WHERE i.token_hash = $1 AND NOT i.responded AND i.org_id = w.org_id AND i.wave_id = w.id
    RETURNING i.org_id, i.wave_id, i.team_id
)
INSERT INTO ballots (org_id, wave_id, team_id, answers, comment)
SELECT org_id, wave_id, team_id, $4, $5 FROM used
RETURNING true
"""


# The whole good-path submit in one statement. The answer checks mirror `check_answers`
# (every wave item answered, nothing else, each within its scale); whatever this refuses is
# explained afterwards by the Python rules.
_SUBMIT_CHECKED = """
WITH target AS (
    SELECT i.org_id, i.wave_id, i.team_id, w.item_keys
    FROM invitations i
    JOIN waves w ON w.org_id = i.org_id AND w.id = i.wave_id
    WHERE i.token_hash = $1 AND NOT i.responded AND w.state = 'open' AND w.closes_at > now()
    FOR KEY SHARE OF w
), fits AS (
    SELECT t.org_id, t.wave_id FROM target t
    WHERE (SELECT count(*) FROM jsonb_object_keys($2::jsonb)) = cardinality(t.item_keys)
      AND (SELECT count(*) FROM items it
           WHERE it.org_id = t.org_id AND it.key = ANY (t.item_keys)
             AND jsonb_typeof($2::jsonb -> it.key) = 'number'
             AND ($2::jsonb ->> it.key)::numeric BETWEEN it.scale_min AND it.scale_max
          ) = cardinality(t.item_keys)
), used AS (
    UPDATE invitations i SET responded = true
    FROM fits f
    WHERE i.token_hash = $1 AND NOT i.responded AND i.org_id = f.org_id AND i.wave_id = f.wave_id
    RETURNING i.org_id, i.wave_id, i.team_id
)
INSERT INTO ballots (org_id, wave_id, team_id, answers, comment)
SELECT org_id, wave_id, team_id, $2, $3 FROM used
RETURNING true
"""


async def find_invitation(conn: asyncpg.Connection | asyncpg.Pool, token: str) -> Invitation | None:
    """The invitation behind a token, or None for a malformed or unknown one (no query then)."""
    if not is_well_formed(token):
        return None
    row = await conn.fetchrow(_FIND, token_hash(token))
    if row is None:
        return None
    return Invitation(**dict(row.items()))


def check_answers(
    inv: Invitation, answers: Mapping[str, object], comment: str | None
) -> dict[str, str]:
    """Problems with a submission as {field: error key}; empty when it may be stored.

    `answers` values may be ints (JSON) or strings (form); fields are item keys or "comment".
    """
    errors: dict[str, str] = {}
    wanted = {it["key"]: it for it in inv.items}
    for key in answers:
        if key not in wanted:
            errors[key] = "err_unknown"
    for key, item in wanted.items():
        value = answers.get(key)
        if value is None or value == "":
            errors[key] = "err_missing"
            continue
        if isinstance(value, str):
            value = int(value) if _INTEGER.fullmatch(value) else None
        in_scale = isinstance(value, int) and item["min"] <= value <= item["max"]
        if not in_scale or isinstance(value, bool):
            errors[key] = "err_range"
    problem = comment_problem(comment)
    if problem:
        errors["comment"] = problem
    return errors


def comment_problem(comment: str | None) -> str | None:
    """The error key for a comment that may not be stored (checked before any query)."""
    if not comment:
        return None
    if len(comment) > COMMENT_MAX:
        return "err_comment_long"
    if _CONTROL.search(comment):
        return "err_comment_control"
    if _MARKUP.search(comment):
        return "err_comment_markup"
    return None


async def submit_response(
    conn: asyncpg.Connection | asyncpg.Pool,
    token: str,
    answers: dict[str, int],
    comment: str | None,
) -> bool:
    """Store one sealed ballot in one statement; False (nothing written) when the token is
    unknown or spent, the wave is not open, or the answers do not fit the wave's items.

    The comment must already have passed `comment_problem`.
    """
    if not is_well_formed(token):
        return False
    return bool(await conn.fetchval(_SUBMIT_CHECKED, token_hash(token), answers, comment or None))


async def store_checked_ballot(
    conn: asyncpg.Connection | asyncpg.Pool,
    token: str,
    inv: Invitation,
    answers: dict[str, int],
    comment: str | None,
) -> bool:
    """Store a ballot that `check_answers` accepted for `inv` (the fallback when the SQL check of
    `submit_response` is stricter, e.g. an item edited mid-wave); False if the token got spent
    or the wave closed meanwhile."""
    stored = await conn.fetchval(
        _SUBMIT, token_hash(token), inv.org_id, inv.wave_id, answers, comment or None
    )
    return bool(stored)
