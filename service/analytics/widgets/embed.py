"""The public embed routes under /embed/v1/: iframe page, JSON, badge and the web component script.

The token travels as a query parameter (`?token=cwt_...`): query strings never reach our logs
(the access log and metrics use route templates; error logs record only the path), and every
response carries `Referrer-Policy: no-referrer`. Each request checks the token afresh with one
small query that also yields the org's latest publication stamp, so a revalidation
(`If-None-Match`) is answered with 304 before any trend is computed, and a revoked or expired
token stops working on the very next request. No route sets a cookie.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import MediaType, Request, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from ...apidoc import problems
from ...errors import Forbidden, InvalidInput, NotFound
from ...ratelimit import WIDGET, limited
from .data import load_view
from .frame import frame_csp, render_error_frame, render_frame
from .rendered import RENDERED
from .svg import BADGE_CSP, Size, Theme, score_badge, unavailable_badge
from .tokencache import TokenCache
from .tokens import ResolvedToken
from .view import Lang, WidgetView

# Bump when the drawing or the JSON shape changes, so cached copies revalidate to the new one.
RENDER_VERSION = "1"
CACHE_OK = "public, no-cache"
CACHE_ERROR = "no-store"
_NO_STORE = {"Cache-Control": CACHE_ERROR}
_DIMENSION = r"^[a-z][a-z0-9_]{1,47}$"


class EmbedParams(msgspec.Struct, frozen=True):
    token: Annotated[str, msgspec.Meta(max_length=200)] = ""
    team: UUID | None = None
    lang: Lang = "en"
    theme: Theme = "auto"
    size: Size | None = None  # each form has its own default
    waves: Annotated[int, msgspec.Meta(ge=2, le=26)] = 8
    dimension: Annotated[str, msgspec.Meta(pattern=_DIMENSION)] = "psychological_safety"


def _lang_hint(query: Mapping[str, str]) -> Lang:
    return "nl" if query.get("lang") == "nl" else "en"


def _size_hint(query: Mapping[str, str]) -> Size:
    size = query.get("size")
    return size if size in ("m", "l") else "s"  # type: ignore[return-value]


def _theme_hint(query: Mapping[str, str]) -> Theme:
    theme = query.get("theme")
    return theme if theme in ("light", "dark") else "auto"  # type: ignore[return-value]


def parse_params(query: Mapping[str, str]) -> EmbedParams | None:
    try:
        return msgspec.convert(dict(query), EmbedParams, strict=False)
    except msgspec.ValidationError:
        return None


def etag_for(tok: ResolvedToken, form: str, p: EmbedParams, size: Size = "m") -> str:
    # Numbers change only when one of the org's waves closes; the stamp says when that was.
    stamp = tok.last_closed_at.isoformat() if tok.last_closed_at else "-"
    stamp += "|" + (tok.focus_stamp.isoformat() if tok.focus_stamp else "-")
    key = (
        f"{RENDER_VERSION}|{form}|{tok.id}|{tok.closed_waves}|{stamp}|{p.lang}|{p.theme}|"
        f"{size}|{p.waves}|{p.dimension if form == 'badge' else ''}"
    )
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def etag_matches(header: str | None, etag: str) -> bool:
    """Whether an If-None-Match value names `etag` (weakly compared, as a GET allows)."""
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return etag in tags or "*" in tags


def not_modified(request: Request[Any, Any, Any], etag: str) -> bool:
    return etag_matches(request.headers.get("if-none-match"), etag)


async def check_token(state: State, p: EmbedParams) -> ResolvedToken | None:
    """The token if valid now and (when `team` is given) for that very team; else None."""
    cache: TokenCache = state.widget_tokens
    tok = await cache.resolve(state.pool, p.token)
    if tok is None or (p.team is not None and p.team != tok.team_id):
        return None
    return tok


def allowed_origin(origin: str | None, tok: ResolvedToken) -> str | Literal[False] | None:
    """The Origin to reflect, None when the request sent none, False when it is not allowed."""
    if origin is None:
        return None
    return origin if origin in tok.allowed_origins else False


def _ok_headers(etag: str, extra: dict[str, str]) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": CACHE_OK, **extra}


# What a valid request of each form is answered with, 200 or 304 alike: (ETag, headers). The
# routes below and the revalidation fast path (fastpath.py) both build them here, so the two
# can never send different headers.


def frame_ok(tok: ResolvedToken, p: EmbedParams) -> tuple[str, dict[str, str]]:
    etag = etag_for(tok, "frame", p, p.size or "m")
    csp = frame_csp(tok.allowed_origins, own_origin=True)
    return etag, _ok_headers(etag, {"Content-Security-Policy": csp})


def json_ok(tok: ResolvedToken, p: EmbedParams, origin: str | None) -> tuple[str, dict[str, str]]:
    """`origin`: an allowed Origin to reflect, or None (the request sent none)."""
    extra = {"Vary": "Origin", "Cross-Origin-Resource-Policy": "cross-origin"}
    if origin:
        extra["Access-Control-Allow-Origin"] = origin
    etag = etag_for(tok, "json", p)
    return etag, _ok_headers(etag, extra)


def badge_ok(tok: ResolvedToken, p: EmbedParams) -> tuple[str, dict[str, str]]:
    # A badge sits in a line of text: 20 px high unless asked otherwise.
    etag = etag_for(tok, "badge", p, p.size or "s")
    extra = {"Content-Security-Policy": BADGE_CSP, "Cross-Origin-Resource-Policy": "cross-origin"}
    return etag, _ok_headers(etag, extra)


# ---- iframe page -----------------------------------------------------------------------------


def _frame_error(status: int, q: Mapping[str, str], key: str) -> Response[bytes]:
    return Response(
        render_error_frame(_lang_hint(q), theme=_theme_hint(q), message_key=key),
        status_code=status,
        media_type="text/html",
        headers={"Content-Security-Policy": frame_csp(()), "Cache-Control": CACHE_ERROR},
    )


_TOKEN_DOC = Parameter(description="The widget token (cwt_...).", required=False)


def _page_errors(media_type: str, what: str) -> dict[int, ResponseSpec]:
    """A person's page answers errors in its own kind (a page, an image), not JSON (429, from
    the shared rate limit, is problem details)."""
    return {
        400: ResponseSpec(str, media_type=media_type, description=f"{what}: bad parameters"),
        404: ResponseSpec(
            str, media_type=media_type, description=f"{what}: unknown, revoked or expired token"
        ),
    }


@get(
    "/embed/v1/frame",
    description=(
        "A self-contained HTML page for an iframe: the team's trend chart with a table under "
        "it, no script and nothing from elsewhere. Only the token's allowed origins may frame"
        " it. A bad token or parameter gets a friendly page."
    ),
    tags=["widgets"],
    before_request=limited(WIDGET),
    summary="Iframe page: the team's trend chart",
    media_type="text/html",
    opt={"view": WidgetView},
    responses=_page_errors("text/html", "A page saying the widget is unavailable"),
)
async def frame(
    request: Request[Any, Any, Any],
    state: State,
    token: Annotated[str | None, _TOKEN_DOC] = None,
    lang: str | None = None,
    theme: str | None = None,
    size: str | None = None,
    waves: str | None = None,
    team: str | None = None,
) -> Response[bytes]:
    q = request.query_params
    p = parse_params(q)
    if p is None:
        return _frame_error(400, q, "invalid")
    tok = await check_token(state, p)
    if tok is None:
        return _frame_error(404, q, "unavailable")
    form_size: Size = p.size or "m"
    etag, headers = frame_ok(tok, p)
    if not_modified(request, etag):
        return Response(b"", status_code=304, headers=headers)
    body = RENDERED.get(etag)
    if body is None:
        view = await load_view(state.pool, tok, p.lang, p.waves)
        body = render_frame(view, theme=p.theme, size=form_size)
        RENDERED.put(etag, body)
    return Response(body, media_type="text/html", headers=headers)


# ---- JSON for the web component --------------------------------------------------------------


@get(
    "/embed/v1/trend.json",
    description=(
        "What the widget shows, as JSON, for the web component or a page of the team's own: "
        "the guarded trend per dimension, with the changes in words. CORS allows only the "
        "token's origins."
    ),
    tags=["widgets"],
    before_request=limited(WIDGET),
    summary="The team's trend as JSON (CORS)",
    opt={"view": WidgetView},
    responses={
        200: ResponseSpec(
            data_container=WidgetView, description="What a widget shows", generate_examples=False
        ),
        **problems(403, 404),
    },
)
async def trend_json(
    request: Request[Any, Any, Any],
    state: State,
    token: Annotated[str | None, _TOKEN_DOC] = None,
    lang: str | None = None,
    waves: str | None = None,
    team: str | None = None,
) -> Response[bytes]:
    p = parse_params(request.query_params)
    if p is None:
        raise InvalidInput(
            "Check the parameters: lang is en or nl, waves is 2 to 26, team is a UUID.",
            headers=_NO_STORE,
        )
    tok = await check_token(state, p)
    if tok is None:
        raise NotFound(
            "This widget link is not valid (unknown, revoked or expired).", headers=_NO_STORE
        )
    origin = allowed_origin(request.headers.get("origin"), tok)
    if origin is False:
        raise Forbidden(
            "This widget may not be shown on this site.", headers={**_NO_STORE, "Vary": "Origin"}
        )
    etag, headers = json_ok(tok, p, origin)
    if not_modified(request, etag):
        return Response(b"", status_code=304, headers=headers)
    body = RENDERED.get(etag)
    if body is None:
        body = msgspec.json.encode(await load_view(state.pool, tok, p.lang, p.waves))
        RENDERED.put(etag, body)
    return Response(body, media_type=MediaType.JSON, headers=headers)


# ---- badge -----------------------------------------------------------------------------------

_SVG = "image/svg+xml"


def _badge_error(status: int, q: Mapping[str, str]) -> Response[bytes]:
    return Response(
        unavailable_badge(_lang_hint(q), _theme_hint(q), _size_hint(q)).encode(),
        status_code=status,
        media_type=_SVG,
        headers={"Content-Security-Policy": BADGE_CSP, "Cache-Control": CACHE_ERROR},
    )


@get(
    "/embed/v1/badge.svg",
    description=(
        "An SVG badge with one dimension's latest guarded score, for places that only take "
        "images (wikis, READMEs, chat). An unknown, revoked or expired token gets the neutral "
        "'unavailable' image, never a number."
    ),
    tags=["widgets"],
    before_request=limited(WIDGET),
    summary="SVG badge: one dimension's latest score",
    media_type=_SVG,
    opt={"view": WidgetView},
    responses=_page_errors(_SVG, "A neutral 'unavailable' badge"),
)
async def badge(
    request: Request[Any, Any, Any],
    state: State,
    token: Annotated[str | None, _TOKEN_DOC] = None,
    dimension: str | None = None,
    lang: str | None = None,
    theme: str | None = None,
    size: str | None = None,
    team: str | None = None,
) -> Response[bytes]:
    q = request.query_params
    p = parse_params(q)
    if p is None:
        return _badge_error(400, q)
    tok = await check_token(state, p)
    if tok is None:
        return _badge_error(404, q)
    badge_size: Size = p.size or "s"
    etag, headers = badge_ok(tok, p)
    if not_modified(request, etag):
        return Response(b"", status_code=304, headers=headers)
    body = RENDERED.get(etag)
    if body is None:
        view = await load_view(state.pool, tok, p.lang, p.waves)
        body = score_badge(view, p.dimension, p.theme, badge_size).encode()
        RENDERED.put(etag, body)
    return Response(body, media_type=_SVG, headers=headers)


# ---- the web component script ----------------------------------------------------------------

COMPONENT_JS = (Path(__file__).resolve().parent / "static" / "candor.js").read_bytes()
_JS_ETAG = '"' + hashlib.sha256(COMPONENT_JS).hexdigest()[:32] + '"'


@get(
    "/embed/v1/candor.js",
    description=(
        "The script of the `<candor-team-trend>` web component: it reads /embed/v1/trend.json"
        " with the token in its attributes and draws the chart in the page."
    ),
    tags=["widgets"],
    summary="Web component <candor-team-trend>",
    media_type="text/javascript",
    opt={"view": None},
)
async def component_js(request: Request[Any, Any, Any]) -> Response[bytes]:
    headers = {
        "ETag": _JS_ETAG,
        "Cache-Control": "public, max-age=3600, must-revalidate",
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if not_modified(request, _JS_ETAG):
        return Response(b"", status_code=304, headers=headers)
    return Response(COMPONENT_JS, media_type="text/javascript", headers=headers)
