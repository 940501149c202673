"""How request bodies are read: JSON nested too deeply is the client's mistake, not a crash.

`JsonRequest` is the app's request class. msgspec refuses to decode JSON nested deeper than the
interpreter's recursion limit (about a thousand levels, far beyond any Candor body) by raising
RecursionError, which would otherwise surface as a 500 and a logged traceback; here it becomes
a 400 problem on every route that takes a JSON body.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State

from .errors import InvalidInput


class JsonRequest(Request[Any, Any, State]):
    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            raise InvalidInput("The JSON body is nested too deeply.") from None
