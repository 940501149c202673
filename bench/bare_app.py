"""The yardstick for ratios: a bare litestar app with one constant route, no middleware."""

from __future__ import annotations

import os

from litestar import Litestar, MediaType, Response, get

_BODY = os.environ.get("BARE_BODY", '{"status":"ok"}').encode()
_TYPE = os.environ.get("BARE_TYPE", MediaType.JSON)


@get("/health")
async def constant() -> Response[bytes]:
    return Response(_BODY, media_type=_TYPE)


def app_factory() -> Litestar:
    return Litestar(route_handlers=[constant], logging_config=None)
