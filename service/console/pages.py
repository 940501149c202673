"""HTML for the console: the jinja environment, the headers every page carries, error pages.

Pages are rendered here rather than through litestar's template engine so they share one
environment (autoescape, strict undefined) and one set of headers: a strict CSP (our own
stylesheet, no script, forms only to ourselves, never framed), no caching and no referrer.
Errors are pages too, in words, with the status the API would give: a 404 for anything out of
the person's scope, exactly as for something that does not exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg
import structlog
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from redis.exceptions import ConnectionError as RedisConnectionError

from ..apidoc import pages
from ..errors import CandorError, TooManyRequests
from . import i18n
from .models import Page
from .sessions import ConsoleSession, SignInRequired

log = structlog.get_logger("candor.console")

HERE = Path(__file__).resolve().parent
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

# What a console route can answer besides its page, for the OpenAPI document: errors are pages
# in words too, and a page that needs a session redirects to sign in.
PAGE_RESPONSES = {
    303: pages(303)[303],
    **pages(400, 403, 404, 413, 429, 503),
}
PAGE_RESPONSES[303].description = "See other: to sign in, or to the page a form leads to"

_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals["signed"] = i18n.signed


def render(
    template: str,
    lang: str,
    *,
    status: int = 200,
    cookies: list[Any] | None = None,
    **context: Any,
) -> Response[bytes]:
    lang = i18n.pick(lang)

    def t(key: str, **kw: Any) -> str:
        return i18n.t(lang, key, **kw)

    def day(value: Any) -> str:
        return i18n.day(value, lang)

    body = _env.get_template(template).render(t=t, day=day, lang=lang, **context)
    return Response(
        body.encode(),
        status_code=status,
        media_type=MediaType.HTML,
        headers=HEADERS,
        cookies=cookies or [],
    )


def page_of(session: ConsoleSession, request: Request[Any, Any, Any], nav: str) -> Page:
    query = request.url.query
    here = request.url.path + (f"?{query}" if query else "")
    return Page(
        lang=i18n.pick(session.locale),
        person=session.display_name,
        org=session.org_name,
        csrf=session.csrf,
        here=here,
        nav=nav,
        is_admin=session.admin,
    )


def request_lang(request: Request[Any, Any, Any]) -> i18n.Lang:
    return i18n.pick(
        request.query_params.get("lang"),
        i18n.from_accept_language(request.headers.get("accept-language", "")),
    )


def error_page(request: Request[Any, Any, Any], status: int, *, ref: str = "") -> Response[bytes]:
    # A signed-in person's own language (provide_session notes it), else the request's.
    signed = request.scope.get("state", {}).get("console_locale")
    lang = i18n.pick(signed) if signed in i18n.LOCALES else request_lang(request)
    title, body = {
        404: ("error_404_title", "error_404"),
        403: ("error_403_title", "error_403"),
        429: ("error_429_title", "error_429"),
    }.get(status, ("error_title", "error_400"))
    if status >= 500:
        title, body = "error_500_title", "error_500"
    return render("error.html", lang, status=status, title_key=title, body_key=body, ref=ref)


def _unavailable(exc: BaseException) -> bool:
    return isinstance(
        exc,
        (
            asyncpg.PostgresConnectionError,
            asyncpg.InterfaceError,
            ConnectionError,
            OSError,
            TimeoutError,
            RedisConnectionError,
        ),
    )


def console_error(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """Every error of a console route, as a page in words (or a redirect to sign in)."""
    if isinstance(exc, SignInRequired):
        return Response(
            b"",
            status_code=303,
            media_type="text/html",
            headers={
                **HEADERS,
                "Location": "/console/sign-in?next=" + quote(exc.next_path, safe="/"),
            },
        )
    if isinstance(exc, CandorError):
        response = error_page(request, exc.status)
        if isinstance(exc, TooManyRequests) and exc.headers:
            response.headers.update(exc.headers)
        return response
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        return error_page(request, exc.status_code)
    ref = str(request.scope.get("state", {}).get("request_id", ""))
    if _unavailable(exc):
        log.warning("console_unavailable", error=type(exc).__name__)
        response = error_page(request, 503, ref=ref)
        response.headers["Retry-After"] = "2"
        return response
    log.error("console_error", exc_info=exc, route=request.scope.get("path_template", "unmatched"))
    return error_page(request, 500, ref=ref)
