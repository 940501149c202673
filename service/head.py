"""HEAD on every GET route: the GET's status and headers, without its body.

Litestar answers HEAD with 405 unless a route declares it. Rather than declare it on every
route, this wrapper serves a HEAD request as the GET it mirrors (a GET changes nothing, so
running it is safe) and drops the body on the way out; Content-Length stays that of the GET,
as HTTP allows. A path without a GET keeps answering 405 with its Allow header.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        # The same scope, changed in place and restored: the router writes the matched route
        # into it, and the access log outside reads that and the method (still HEAD there).
        scope["method"] = "GET"
        try:
            await self.app(scope, receive, send_without_body)
        finally:
            scope["method"] = "HEAD"
