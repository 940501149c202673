"""The respondent's side: the page behind an emailed link, its form submit, and a JSON twin.

Three hops from HTTP to SQL: a handler parses the input, `submit_response` runs ONE statement
that checks the token, the wave and the answers, marks the invitation responded and drops
(wave, team, answers, comment) into the ballot box, nothing more; so a token is used exactly once
however many requests race, and a good submit costs one round trip. Only when that statement
refuses does the handler look the invitation up (`find_invitation`) and say why, with
`check_answers` as the authority on what a valid submission is.

Oracles: an unknown token and a used token get the same page, byte for byte and with the same
status, in a language chosen only from the request (never the person's locale, which would tell
the two apart). A valid token whose wave has closed gets a "closed" page whether or not it was
used, so that page reveals only what the link holder already knows (the link is real and old),
never whether the person answered. docs/privacy.md has the full reasoning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl
from uuid import UUID

import asyncpg
import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.response import Template

from ..errors import CandorError, Gone, InvalidInput, NotFound, UnprocessableEntity
from . import i18n
from .tokens import is_well_formed, token_hash

COMMENT_MAX = 2000
FORM_MAX_BYTES = 32_768  # 2,000 characters, each up to 4 UTF-8 bytes, percent-encoded: 24 KB
ITEM_FIELD = "item:"
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}

# Something that reads as an HTML tag or comment; "a < b" and "<3" stay allowed.
_MARKUP = re.compile(r"<\s*[/!?]?\s*[A-Za-z]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INTEGER = re.compile(r"-?[0-9]{1,4}")


class UnsupportedMediaType(CandorError):
    status = 415
    title = "Unsupported media type"


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


# --- the page -----------------------------------------------------------------------------------


def _request_locale(request: Request[Any, Any, Any]) -> str | None:
    lang = request.query_params.get("lang")
    if lang in i18n.LOCALES:
        return str(lang)
    accept = request.headers.get("accept-language", "").strip().lower()
    return "nl" if accept.startswith("nl") else None


def _message(name: str, locale: str, status: int) -> Template:
    return Template(
        template_name="respond_message.html",
        context={"t": lambda key, **kw: i18n.t(locale, key, **kw), "lang": locale, "page": name},
        status_code=status,
        headers=NO_STORE,
        media_type="text/html",
    )


def _unavailable(request: Request[Any, Any, Any]) -> Template:
    # Only the request picks the language here: the person's locale would make a used token's
    # page differ from an unknown one.
    return _message("unavailable", i18n.pick_locale(_request_locale(request)), 404)


def _form(
    inv: Invitation,
    locale: str,
    *,
    values: Mapping[str, str] | None = None,
    comment: str = "",
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> Template:
    items = [
        {
            "key": it["key"],
            "text": it["texts"].get(locale) or it["texts"].get("en") or it["key"],
            "choices": i18n.scale_labels(locale, it["min"], it["max"]),
        }
        for it in inv.items
    ]
    return Template(
        template_name="respond_form.html",
        context={
            "t": lambda key, **kw: i18n.t(locale, key, **kw),
            "lang": locale,
            "other_langs": [loc for loc in i18n.LOCALES if loc != locale],
            "items": items,
            "k": inv.k,
            "comment_k": inv.comment_k,
            "values": values or {},
            "comment": comment,
            "errors": errors or {},
            "comment_max": COMMENT_MAX,
            "field": ITEM_FIELD,
        },
        status_code=status,
        headers=NO_STORE,
        media_type="text/html",
    )


@get("/s/{token:str}", include_in_schema=False, cache=False)
async def respond_page(request: Request[Any, Any, Any], state: State, token: str) -> Template:
    inv = await find_invitation(state.pool, token)
    if inv is None or (inv.responded and inv.is_open):
        return _unavailable(request)
    locale = i18n.pick_locale(_request_locale(request), inv.locale)
    if not inv.is_open:
        return _message("closed", locale, 410)
    return _form(inv, locale)


def _parse_form(body: bytes) -> tuple[dict[str, str], str] | None:
    """Item answers and the comment from an urlencoded body; None when it cannot be read."""
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=64, errors="strict"
        )
    except (UnicodeDecodeError, ValueError):
        return None
    values: dict[str, str] = {}
    comment = ""
    for name, value in pairs:
        if name == "comment":
            comment = value.replace("\r\n", "\n").strip()
        elif name.startswith(ITEM_FIELD):
            key = name[len(ITEM_FIELD) :]
            if key in values:
                return None
            values[key] = value
    return values, comment


@post("/s/{token:str}", include_in_schema=False, cache=False, status_code=200)
async def respond_submit(request: Request[Any, Any, Any], state: State, token: str) -> Template:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    parsed = None
    if media != "application/x-www-form-urlencoded":
        status = 415
    elif len(body) > FORM_MAX_BYTES:
        status = 413
    else:
        status = 400
        parsed = _parse_form(body)
    async with state.pool.acquire() as conn:
        if parsed is not None:
            values, comment = parsed
            answers = _as_ints(values)
            if (
                answers is not None
                and comment_problem(comment) is None
                and await submit_response(conn, token, answers, comment)
            ):
                # The form posts to ?lang=..., so the request names the page's language.
                return _message("thanks", i18n.pick_locale(_request_locale(request)), 200)
        # Refused or unreadable: find out why and tell the person.
        inv = await find_invitation(conn, token)
        if inv is None or (inv.responded and inv.is_open):
            return _unavailable(request)
        locale = i18n.pick_locale(_request_locale(request), inv.locale)
        if not inv.is_open:
            return _message("closed", locale, 410)
        if parsed is None:
            return _form(inv, locale, errors={"form": "err_form"}, status=status)
        values, comment = parsed
        errors = check_answers(inv, values, comment)
        # A field we never offered means a tampered form, not a slip: say so once, at the top.
        if any(e == "err_unknown" for e in errors.values()):
            errors = {k: e for k, e in errors.items() if e != "err_unknown"} | {"form": "err_form"}
        if errors:
            return _form(inv, locale, values=values, comment=comment, errors=errors, status=422)
        answers = {k: int(v) for k, v in values.items()}
        if not await store_checked_ballot(conn, token, inv, answers, comment):
            return await _after_race(request, conn, token)
    return _message("thanks", locale, 200)


def _as_ints(values: Mapping[str, str]) -> dict[str, int] | None:
    if not all(_INTEGER.fullmatch(v) for v in values.values()):
        return None
    return {k: int(v) for k, v in values.items()}


async def _after_race(
    request: Request[Any, Any, Any], conn: asyncpg.Connection, token: str
) -> Template:
    """The submit lost a race (another request used the token, or the wave just closed)."""
    inv = await find_invitation(conn, token)
    if inv is not None and not inv.is_open:
        return _message("closed", i18n.pick_locale(_request_locale(request), inv.locale), 410)
    return _unavailable(request)


_CSS = (Path(__file__).resolve().parent / "templates" / "respond.css").read_bytes()


@get("/assets/respond.css", include_in_schema=False, cache=False)
async def respond_css() -> Response[bytes]:
    return Response(
        _CSS,
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600"},
    )


# --- the JSON twin ------------------------------------------------------------------------------

AnswerValue = Annotated[int, msgspec.Meta(ge=-100, le=100)]


class RespondIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    answers: Annotated[dict[str, AnswerValue], msgspec.Meta(max_length=20)]
    comment: Annotated[str, msgspec.Meta(max_length=COMMENT_MAX)] | None = None


class RespondOut(msgspec.Struct, frozen=True):
    status: str = "recorded"


_ERROR_WORDS = {
    "err_unknown": "is not an item of this wave",
    "err_missing": "needs an answer",
    "err_range": "is outside the item's scale",
    "err_comment_long": "is longer than 2000 characters",
    "err_comment_control": "contains control characters",
    "err_comment_markup": "looks like HTML; send plain text",
}
_UNAVAILABLE = "This link cannot be used: it is unknown or was used already."
_CLOSED = "This wave has closed and no longer accepts answers."


@post("/api/v1/respond/{token:str}", tags=["respond"], summary="Submit answers for a token")
async def respond_json(
    request: Request[Any, Any, Any], state: State, token: str
) -> Response[RespondOut]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise UnsupportedMediaType("Send the answers as application/json.")
    body = await request.body()
    try:
        data = msgspec.json.decode(body, type=RespondIn)
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"The body does not match the schema: {exc}") from None
    except (msgspec.DecodeError, UnicodeDecodeError):
        raise InvalidInput("The body is not valid UTF-8 JSON.") from None
    comment = (data.comment or "").replace("\r\n", "\n").strip() or None
    answers = dict(data.answers)
    async with state.pool.acquire() as conn:
        if comment_problem(comment) is None and await submit_response(
            conn, token, answers, comment
        ):
            return Response(RespondOut(), status_code=201, headers=NO_STORE)
        # Refused: find out why and say so.
        inv = await find_invitation(conn, token)
        if inv is None or (inv.responded and inv.is_open):
            raise NotFound(_UNAVAILABLE)
        if not inv.is_open:
            raise Gone(_CLOSED)
        errors = check_answers(inv, answers, comment)
        if errors:
            raise UnprocessableEntity(
                "Some answers cannot be accepted; nothing was stored.",
                errors=[
                    {"field": f if f == "comment" else f"answers.{f}", "problem": _ERROR_WORDS[e]}
                    for f, e in sorted(errors.items())
                ],
            )
        if not await store_checked_ballot(conn, token, inv, answers, comment):
            after = await find_invitation(conn, token)
            if after is not None and not after.is_open:
                raise Gone(_CLOSED)
            raise NotFound(_UNAVAILABLE)
    return Response(RespondOut(), status_code=201, headers=NO_STORE)


ROUTES: list[Any] = [respond_page, respond_submit, respond_json, respond_css]
