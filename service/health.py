"""Liveness, readiness and metrics routes.

`/health` says the process is alive and answers without touching anything else. `/ready` says
the service can do its work: PostgreSQL and Redis both answer within a second; otherwise 503.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Annotated, Any

import msgspec
from litestar import MediaType, Request, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from . import queries
from .apidoc import problems
from .errors import NotFound, Unauthorized
from .observe import metrics_body


class Health(msgspec.Struct, frozen=True):
    status: Annotated[
        str, msgspec.Meta(description="`ok` while the process answers", examples=["ok"])
    ]


class Readiness(msgspec.Struct, frozen=True):
    status: Annotated[
        str,
        msgspec.Meta(
            description="`ok` when both backing services answer, else `unavailable`",
            examples=["ok"],
        ),
    ]
    postgres: Annotated[
        str,
        msgspec.Meta(
            description=(
                "`ok`, or `unavailable` when PostgreSQL did not answer within a second (the "
                "reason goes to the log)"
            ),
            examples=["ok"],
        ),
    ]
    redis: Annotated[
        str,
        msgspec.Meta(
            description=(
                "`ok`, or `unavailable` when Redis did not answer within a second (the reason "
                "goes to the log)"
            ),
            examples=["ok"],
        ),
    ]


# Probes and load balancers call /health constantly: its body is encoded once, here, and the
# handler returns a ready Response (litestar then skips serialising a Struct per request).
_OK = msgspec.json.encode(Health(status="ok"))


@get(
    "/health",
    description=(
        "Liveness for a load balancer or orchestrator: 200 while the process can answer. It "
        "checks no backing service (see /ready), so a database outage never restarts healthy "
        "processes."
    ),
    tags=["ops"],
    summary="Liveness: the process answers",
    cache=False,
    responses={
        200: ResponseSpec(Health, description="The process answers", generate_examples=False)
    },
    opt={"view": Health},
)
async def health() -> Response[bytes]:
    return Response(_OK, media_type=MediaType.JSON)


async def _probe(coro: Any) -> str:
    try:
        await asyncio.wait_for(coro, timeout=1.0)
    except Exception:  # any failure means "not ready"; the reason goes to the log, not the client
        return "unavailable"
    return "ok"


async def _pg(state: State) -> None:
    async with state.pool.acquire(timeout=1.0) as conn:
        await conn.fetchval(queries.PING)


@get(
    "/ready",
    description=(
        "Readiness: 200 when PostgreSQL and Redis both answer, else 503 naming which one is "
        "away. Use it to take an instance out of rotation, not to restart it."
    ),
    tags=["ops"],
    summary="Readiness: PostgreSQL and Redis reachable",
    cache=False,
    responses={
        503: ResponseSpec(
            Readiness,
            description="Not ready: a backing service is away",
            generate_examples=False,
        )
    },
)
async def ready(state: State) -> Response[Readiness]:
    pg, redis = await asyncio.gather(_probe(_pg(state)), _probe(state.redis.ping()))
    ok = pg == "ok" and redis == "ok"
    body = Readiness(status="ok" if ok else "unavailable", postgres=pg, redis=redis)
    return Response(body, status_code=200 if ok else 503)


@get(
    "/metrics",
    tags=["ops"],
    summary="Prometheus metrics (the operator's: METRICS_TOKEN as a bearer token)",
    description=(
        "Request counts and latencies per route template, for the operator. Needs "
        "`Authorization: Bearer <METRICS_TOKEN>`; without METRICS_TOKEN set it answers 404. "
        "The respondent's routes are never counted: a live count of answers, per status, "
        "would tell an onlooker who answered when."
    ),
    include_in_schema=True,
    media_type="text/plain",
    # 401: no or wrong METRICS_TOKEN; 404: METRICS_TOKEN is not set, metrics are off.
    responses=problems(401, 404),
    # Counters of requests per route and status: operations data, no respondent's number.
    opt={"view": None},
)
async def metrics(request: Request[Any, Any, State], state: State) -> Response[bytes]:
    token = state.settings.metrics_token
    if token is None:
        raise NotFound("Metrics are off: set METRICS_TOKEN to read them.")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), token):
        raise Unauthorized(
            "Send the operator's METRICS_TOKEN as 'Authorization: Bearer ...'.",
            headers={"WWW-Authenticate": 'Bearer realm="candor-metrics"'},
        )
    body, content_type = metrics_body()
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})


ROUTES = [health, ready, metrics]
