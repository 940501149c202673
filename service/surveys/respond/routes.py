"""The respondent's side over HTTP: the page behind an emailed link, its form submit, and a
JSON twin for other clients. Both submit through `submission.submit()` (the rules and the
one statement) and only turn its Outcome into a page or a status; `find_invitation` supplies
what a page shows, which `form.form_view()` turns into the form (items, language, the group the
answers count toward).

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
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.response import Template

from ...apidoc import pages, problems
from ...errors import CandorError, Gone, InvalidInput, NotFound, UnprocessableEntity
from ...ratelimit import RESPOND, limited
from . import i18n
from .body_docs import SUBMIT_FORM, SUBMIT_JSON
from .form import form_view
from .models import Invitation, Outcome, RespondForm, RespondIn, RespondOut
from .submission import find_invitation, submit

FORM_MAX_BYTES = 32_768  # 2,000 characters, each up to 4 UTF-8 bytes, percent-encoded: 24 KB
ITEM_FIELD = "item:"
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
_INTEGER = re.compile(r"-?[0-9]{1,4}")


class UnsupportedMediaType(CandorError):
    status = 415
    title = "Unsupported media type"


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
    view = form_view(inv, locale)
    return Template(
        template_name="respond_form.html",
        context={
            "t": lambda key, **kw: i18n.t(locale, key, **kw),
            "lang": locale,
            "other_langs": [loc for loc in i18n.LOCALES if loc != locale],
            "items": view.items,
            "group": view.group,
            "k": view.k,
            "comment_k": view.comment_k,
            "values": values or {},
            "comment": comment,
            "errors": errors or {},
            "comment_max": view.comment_max,
            "field": ITEM_FIELD,
        },
        status_code=status,
        headers=NO_STORE,
        media_type="text/html",
    )


@get(
    "/s/{token:str}",
    tags=["respondent pages"],
    summary="The survey page behind an emailed link (HTML for a person)",
    description=(
        "200 with the form, naming the group the answers count toward and how many people "
        "were invited to it; 404 page for an unknown or already used link (the two are "
        "identical); 410 page once the wave has closed. `?lang=en|nl` switches the language."
    ),
    media_type="text/html",
    # The form: its numbers are scale points, thresholds and the group's invited count.
    opt={"view": RespondForm},
    responses=pages(404, 410, 429),
    cache=False,
    before_request=limited(RESPOND, page=True),
)
async def respond_page(request: Request[Any, Any, Any], state: State, token: str) -> Template:
    return await _landing(request, state, token)


async def _landing(
    request: Request[Any, Any, Any],
    state: State,
    token: str,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> Template:
    """What the link shows now: the form, or the "unavailable" or "closed" page."""
    inv = await find_invitation(state.pool, token)
    if inv is None or (inv.responded and inv.is_open):
        return _unavailable(request)
    locale = i18n.pick_locale(_request_locale(request), inv.locale)
    if not inv.is_open:
        return _message("closed", locale, 410)
    return _form(inv, locale, errors=errors, status=status)


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


@post(
    "/s/{token:str}",
    tags=["respondent pages"],
    summary="Submit the survey form (application/x-www-form-urlencoded; HTML answer)",
    description=(
        "200 thank-you page when stored; 422 re-renders the form with the errors and the "
        "answers kept; 404/410 pages as for GET; 415 for another content type."
    ),
    media_type="text/html",
    opt={"view": RespondForm},  # the form again on 422 (else a message without numbers)
    responses=pages(400, 404, 410, 413, 415, 422, 429),
    operation_class=SUBMIT_FORM,
    cache=False,
    status_code=200,
    before_request=limited(RESPOND, page=True),
)
async def respond_submit(request: Request[Any, Any, Any], state: State, token: str) -> Template:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    # A post we cannot read gets the page a GET would, the form with a note on top.
    unreadable = {"form": "err_form"}
    if media != "application/x-www-form-urlencoded":
        return await _landing(request, state, token, unreadable, 415)
    if len(body) > FORM_MAX_BYTES:
        return await _landing(request, state, token, unreadable, 413)
    parsed = _parse_form(body)
    if parsed is None:
        return await _landing(request, state, token, unreadable, 400)
    values, comment = parsed
    async with state.pool.acquire() as conn:
        outcome = await submit(conn, token, _form_answers(values), comment)
        if outcome.status == "stored":
            # The form posts to ?lang=..., so the request names the page's language.
            return _message("thanks", i18n.pick_locale(_request_locale(request)), 200)
        if outcome.status == "unavailable":
            return _unavailable(request)
        # Refused for a reason the person may read: the page needs the wave's items and words.
        inv = await find_invitation(conn, token)
    if inv is None:
        return _unavailable(request)
    locale = i18n.pick_locale(_request_locale(request), inv.locale)
    if outcome.status == "closed":
        return _message("closed", locale, 410)
    return _form(
        inv, locale, values=values, comment=comment, errors=_form_errors(outcome), status=422
    )


def _form_answers(values: Mapping[str, str]) -> dict[str, int | str | None]:
    """Form fields as answers: integers as numbers, an empty field as no answer, anything else
    as the text sent (which the rules refuse as out of range)."""
    return {k: int(v) if _INTEGER.fullmatch(v) else (v or None) for k, v in values.items()}


def _form_errors(outcome: Outcome) -> dict[str, str]:
    # A field we never offered means a tampered form, not a slip: say so once, at the top.
    errors = {k: e for k, e in outcome.errors.items() if e != "err_unknown"}
    if len(errors) < len(outcome.errors):
        errors["form"] = "err_form"
    return errors


_CSS = (Path(__file__).resolve().parent / "templates" / "respond.css").read_bytes()


@get(
    "/assets/respond.css",
    description=(
        "The stylesheet of the survey and opt-out pages, served from this server so those "
        "pages need nothing from elsewhere."
    ),
    tags=["respondent pages"],
    summary="The respondent page's stylesheet",
    media_type="text/css",
    opt={"view": None},  # no number: the form, a message, a stylesheet
    cache=False,
)
async def respond_css() -> Response[bytes]:
    return Response(
        _CSS,
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600"},
    )


# --- the JSON twin ------------------------------------------------------------------------------

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


@get(
    "/api/v1/respond/{token:str}",
    tags=["respond"],
    before_request=limited(RESPOND),
    summary="What the survey asks for a token, and the group the answers count toward",
    description=(
        "The JSON twin of the survey page: the wave's items (text in the chosen language, "
        "scale points with labels), the thresholds, and `group`: the group the answers count "
        "toward, whether the person's team is reported together with others, how many people "
        "were invited to it, and that as a sentence. `?lang=en|nl` or Accept-Language picks "
        "the language (else the person's). 404 for an unknown or used token "
        "(indistinguishable); 410 once the wave has closed."
    ),
    responses=problems(404, 410),
    cache=False,
)
async def respond_form_json(
    request: Request[Any, Any, Any], state: State, token: str
) -> Response[RespondForm]:
    inv = await find_invitation(state.pool, token)
    if inv is None or (inv.responded and inv.is_open):
        raise NotFound(_UNAVAILABLE)
    if not inv.is_open:
        raise Gone(_CLOSED)
    locale = i18n.pick_locale(_request_locale(request), inv.locale)
    return Response(form_view(inv, locale), headers=NO_STORE)


@post(
    "/api/v1/respond/{token:str}",
    tags=["respond"],
    before_request=limited(RESPOND),
    summary="Submit answers for a token",
    description=(
        'Body (application/json): {"answers": {"<item key>": <int within the item\'s scale>, '
        '...every item of the wave}, "comment": "<optional plain text, at most 2000 '
        'characters>"}. 201 when stored; 404 for an unknown or used token (indistinguishable); '
        "410 when the wave has closed; 422 naming each field that cannot be accepted."
    ),
    responses=problems(404, 410, 413, 415, 422),
    operation_class=SUBMIT_JSON,
)
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
    async with state.pool.acquire() as conn:
        outcome = await submit(conn, token, data.answers, comment)
    if outcome.status == "unavailable":
        raise NotFound(_UNAVAILABLE)
    if outcome.status == "closed":
        raise Gone(_CLOSED)
    if outcome.status == "invalid":
        raise UnprocessableEntity(
            "Some answers cannot be accepted; nothing was stored.",
            errors=[
                {"field": f if f == "comment" else f"answers.{f}", "problem": _ERROR_WORDS[e]}
                for f, e in sorted(outcome.errors.items())
            ],
        )
    return Response(RespondOut(), status_code=201, headers=NO_STORE)


PAGES: list[Any] = [respond_page, respond_submit, respond_css]
API: list[Any] = [respond_form_json, respond_json]
