"""How request bodies are read: in limited time, and JSON nested too deeply is a 400.

`BodyDeadline` wraps the whole app: a request's body must have arrived within
BODY_TIMEOUT_SECONDS of the request reaching the app, or reading it fails with a 408 problem
(before any handler that takes the body runs). Granian cuts off slow headers itself, but not a
body trickled in a byte at a time, which would otherwise hold a worker's slot forever.

`JsonRequest` is the app's request class. msgspec refuses to decode JSON nested deeper than the
interpreter's recursion limit (about a thousand levels, far beyond any Candor body) by raising
RecursionError, which would otherwise surface as a 500 and a logged traceback; here it becomes
a 400 problem on every route that takes a JSON body.
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

from .errors import InvalidInput, RequestTimeout


class JsonRequest(Request[Any, Any, State]):
    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            raise InvalidInput("The JSON body is nested too deeply.") from None


class BodyDeadline:
    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        # The whole body, not each piece: a trickle of one byte a second never idles for long.
        deadline = asyncio.get_running_loop().time() + self.seconds
        complete = False

        async def receive_in_time() -> ReceiveMessage:
            nonlocal complete
            if complete:  # later reads wait for a disconnect, which may take as long as it takes
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise RequestTimeout(
                    f"The request body did not arrive within {self.seconds:g} seconds.",
                    headers={"Connection": "close"},
                ) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        await self.app(scope, receive_in_time, send)
