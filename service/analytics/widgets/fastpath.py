"""Widget revalidations answered in front of the router: 304 without litestar's handler machinery.

A page that embeds a widget asks again on every view with `If-None-Match`; nearly all of those
asks are answered 304. Through litestar each one pays for routing, the request object, the
signature model, the before-request hook, a `Response` and its header object, several times
the cost of the checks themselves. This ASGI wrapper sits inside `ObserveMiddleware` (so the
request id, security headers, access log and metrics are those of every request) and in front
of everything else, and answers a revalidation itself only when it is sure the route would
answer the very same 304:

- a GET (HEAD keeps going through the route) of exactly /embed/v1/frame, /embed/v1/trend.json
  or /embed/v1/badge.svg, with one If-None-Match header and at most one Origin header, a valid
  Host header (or none) and no root path;
- query parameters parsed as litestar parses them, none repeated, and accepted by the routes'
  own `parse_params`;
- the token resolved by the routes' own `check_token` (the same in-process cache, emptied by
  NOTIFY on a revoke; expiry checked on every hit), for the team asked for, if any;
- for the JSON, the Origin allowed by the token exactly as the route checks it;
- the ETag and every header built by the routes' own `frame_ok` / `json_ok` / `badge_ok`, and
  the If-None-Match compared by the routes' own `etag_matches`;
- the widget rate limit taken through the routes' own `enforce`, after everything else matched:
  a 304 counts once, like any request. Over the limit (or whatever else does not match), the
  request goes on to the route unchanged: the route counts it again and answers 429 (or 200,
  4xx) as always; a second count of a caller already over the limit changes nothing, since the
  window only compares its count with the limit.

Any error on the way (the database unreachable while resolving an uncached token) also falls
through, so the route produces its usual answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar._asgi.utils import is_valid_host  # the router's own Host check (400 when bad)
from litestar._parsers import parse_query_string  # how `request.query_params` is parsed
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType

from ...errors import TooManyRequests
from ...ratelimit import WIDGET, enforce
from .embed import (
    allowed_origin,
    badge_ok,
    check_token,
    etag_matches,
    frame_ok,
    json_ok,
    parse_params,
)

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.types import ASGIApp, Receive, Scope, Send

FORMS = {
    "/embed/v1/frame": "frame",
    "/embed/v1/trend.json": "json",
    "/embed/v1/badge.svg": "badge",
}
_BODY_END = {"type": "http.response.body", "body": b"", "more_body": False}


class WidgetRevalidation:
    def __init__(self, app: ASGIApp, litestar: Litestar) -> None:
        self.app = app
        self.litestar = litestar  # its state (pool, token cache, settings) is set in the lifespan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope["method"] == "GET":
            form = FORMS.get(scope["path"])
            if form is not None and not scope.get("root_path"):
                headers = await self.revalidated(scope, form)
                if headers is not None:
                    # What the router would have set: the access log and metrics label by it.
                    scope["path_template"] = scope["path"]
                    await send({"type": "http.response.start", "status": 304, "headers": headers})
                    await send(_BODY_END)  # type: ignore[arg-type]
                    return
        await self.app(scope, receive, send)

    async def revalidated(self, scope: Scope, form: str) -> list[tuple[bytes, bytes]] | None:
        """The 304's headers when the route would answer exactly that; else None."""
        if_none_match: bytes | None = None
        origin: bytes | None = None
        host: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                if if_none_match is not None:
                    return None
                if_none_match = value
            elif name == b"origin":
                if origin is not None:
                    return None
                origin = value
            elif name == b"host" and host is None:
                host = value
        if not if_none_match or (host is not None and not is_valid_host(host)):
            return None
        pairs = parse_query_string(scope.get("query_string", b""))
        query = dict(pairs)
        if len(query) != len(pairs):
            return None
        p = parse_params(query)
        if p is None:
            return None
        state = self.litestar.state
        try:
            tok = await check_token(state, p)
        except Exception:  # the route meets the same error and answers it
            return None
        if tok is None:
            return None
        if form == "json":
            allowed = allowed_origin(origin.decode("latin-1") if origin is not None else None, tok)
            if allowed is False:
                return None
            etag, headers = json_ok(tok, p, allowed)
        elif form == "badge":
            etag, headers = badge_ok(tok, p)
        else:
            etag, headers = frame_ok(tok, p)
        if not etag_matches(if_none_match.decode("latin-1"), etag):
            return None
        if not await self.within_limit(scope):
            return None
        return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

    async def within_limit(self, scope: Scope) -> bool:
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        try:
            await enforce(connection, WIDGET)
        except TooManyRequests:
            return False
        return True
