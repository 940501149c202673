"""Submissions: the one way a respondent's answers get into the ballot box, and why not.

`submit()` runs ONE statement (queries.SUBMIT) that checks the token, the wave and the
answers, and only then marks the invitation responded and drops (wave, team, answers,
comment) into the ballot box, nothing more. A token is thus used exactly once however many
requests race, a good submit costs one round trip, and a refused one says why in the same
trip. The comment's own rules (length, control characters, markup) are checked here first and
the statement is told whether it may store; the rules for answers live only in that statement.
The page and the JSON twin both call `submit()` and turn its `Outcome` into their response.
`find_invitation` is for rendering the page (items, language, thresholds), not for deciding.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import asyncpg

from . import queries
from .models import COMMENT_MAX, Invitation, Outcome
from .tokens import is_well_formed, token_hash

# Something that reads as an HTML tag or comment; "a < b" and "<3" stay allowed.
_MARKUP = re.compile(r"<\s*[/!?]?\s*[A-Za-z]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Runner = asyncpg.Connection | asyncpg.Pool

STORED = Outcome("stored")
UNAVAILABLE = Outcome("unavailable")
CLOSED = Outcome("closed")


def comment_problem(comment: str | None) -> str | None:
    """The error code for a comment that may not be stored (checked before any query)."""
    if not comment:
        return None
    if len(comment) > COMMENT_MAX:
        return "err_comment_long"
    if _CONTROL.search(comment):
        return "err_comment_control"
    if _MARKUP.search(comment):
        return "err_comment_markup"
    return None


async def submit(
    conn: Runner, token: str, answers: Mapping[str, object], comment: str | None
) -> Outcome:
    """Store one sealed ballot, or say why not; one statement either way.

    `answers` maps item keys to numbers; anything else given for an item (a string the form
    could not read as an integer, a fraction) is refused as out of range, None as missing.
    Refusals come in this order, so an unknown and a used token stay indistinguishable and a
    closed wave says only "closed": unavailable, closed, invalid.
    """
    if not is_well_formed(token):
        return UNAVAILABLE
    comment_error = comment_problem(comment)
    sendable, unknown = _for_postgres(answers)
    may_store = comment_error is None and not unknown
    row = await conn.fetchrow(
        queries.SUBMIT,
        token_hash(token),
        sendable,
        comment if may_store and comment else None,
        may_store,
    )
    assert row is not None  # the statement always returns its one row
    if row["stored"]:
        return STORED
    if not row["found"] or (row["responded"] and row["is_open"]):
        return UNAVAILABLE
    if not row["is_open"]:
        return CLOSED
    errors: dict[str, str] = {**row["errors"], **unknown}
    if comment_error is not None:
        errors["comment"] = comment_error
    if errors:
        return Outcome("invalid", errors)
    # Nothing wrong and still not stored: another request used the token a moment earlier.
    return UNAVAILABLE


def _for_postgres(answers: Mapping[str, object]) -> tuple[dict[str, object], dict[str, str]]:
    """(answers the statement can take, keys refused before it).

    Postgres text cannot hold a NUL character. No item key contains one, so such a key is
    unknown; and a string answer is out of range whatever it says, so its NULs can go.
    """
    sendable: dict[str, object] = {}
    unknown: dict[str, str] = {}
    for key, value in answers.items():
        if "\x00" in key:
            unknown[key] = "err_unknown"
        else:
            sendable[key] = value.replace("\x00", "") if isinstance(value, str) else value
    return sendable, unknown


async def find_invitation(conn: Runner, token: str) -> Invitation | None:
    """The invitation behind a token, or None for a malformed or unknown one (no query then)."""
    if not is_well_formed(token):
        return None
    row = await conn.fetchrow(queries.FIND_INVITATION, token_hash(token))
    if row is None:
        return None
    return Invitation(**dict(row.items()))
