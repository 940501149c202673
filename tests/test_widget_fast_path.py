"""Widget revalidations answered in front of the router send exactly what the route would send.

Requests are made at the ASGI level against the app under test, so the raw header list of each
answer can be compared with the route's own. Whether the router ran is visible in the scope:
litestar's router writes `route_handler` into it; the fast path never does. The route's own
answer is had by calling the same stack without the fast path in front.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode
from uuid import uuid4

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from service import observe
from service.analytics.widgets.fastpath import WidgetRevalidation
from service.app import create_app
from service.observe import _METRICS, ObserveMiddleware
from service.ratelimit import WIDGET, client_key
from service.settings import Settings
from tests.factories import Org, make_widget_token
from tests.worlds import build_widget_world

ORIGIN = "https://wiki.example.com"
JSON = "/embed/v1/trend.json"
FRAME = "/embed/v1/frame"
BADGE = "/embed/v1/badge.svg"
CLIENT = ("203.0.113.9", 40000)


class Answer(msgspec.Struct):
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    routed: bool  # the router ran (the request was not answered by the fast path)

    def header(self, name: bytes) -> bytes | None:
        return next((v for k, v in self.headers if k == name), None)


async def call(
    client: AsyncTestClient[Litestar],
    path: str,
    query: dict[str, str] | list[tuple[str, str]],
    headers: list[tuple[str, str]] = (),  # type: ignore[assignment]
    *,
    method: str = "GET",
    fast: bool = True,
) -> Answer:
    """One request through the app's whole ASGI stack, or (fast=False) the same stack with the
    fast path taken out: what the route itself answers. It runs where the test client runs the
    app (its portal's thread and event loop), which holds the app's pool and Redis client."""
    app = client.app
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": urlencode(query).encode(),
        "headers": [(b"host", b"testserver.local")]
        + [(k.lower().encode(), v.encode()) for k, v in headers],
        "client": CLIENT,
        "server": ("testserver.local", 80),
    }
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    async def run() -> None:
        if fast:
            await app(scope, receive, send)  # type: ignore[arg-type]
            return
        whole = app.asgi_handler
        assert isinstance(whole, ObserveMiddleware) and isinstance(whole.app, WidgetRevalidation)
        scope["app"] = scope["litestar_app"] = app
        scope["state"] = {}
        await ObserveMiddleware(whole.app.app)(scope, receive, send)  # type: ignore[arg-type]

    client.blocking_portal.call(run)
    start = messages[0]
    return Answer(
        status=start["status"],
        headers=list(start["headers"]),
        body=b"".join(m.get("body", b"") for m in messages[1:]),
        routed="route_handler" in scope,
    )


async def _token(client: Any, org: Org, pool: Any, **extra: Any) -> tuple[Any, dict[str, Any]]:
    world = await build_widget_world(pool, org.id)
    extra.setdefault("allowed_origins", [ORIGIN])
    return world, await make_widget_token(client, org.headers, world.big, **extra)


RID = ("X-Request-Id", "fast-path-test-1")


async def test_a_fast_304_has_exactly_the_routes_headers_in_every_form(
    client: Any, org: Org, pool: Any
) -> None:
    world, made = await _token(client, org, pool)
    token = made["token"]
    cases: list[tuple[str, dict[str, str], list[tuple[str, str]]]] = [
        (JSON, {"token": token}, []),
        (JSON, {"token": token, "waves": "4", "lang": "nl"}, [("Origin", ORIGIN)]),
        (JSON, {"token": token, "team": str(world.big), "extra": "ignored"}, []),
        (FRAME, {"token": token, "size": "l", "theme": "dark"}, []),
        (BADGE, {"token": token, "dimension": "trust", "size": "m"}, []),
        (BADGE, {"token": token}, [("Origin", "https://elsewhere.example")]),
    ]
    for path, query, headers in cases:
        fresh = await call(client, path, query, [*headers, RID])
        assert fresh.status == 200 and fresh.routed, (path, query)
        etag = fresh.header(b"etag")
        assert etag
        conditional = [*headers, RID, ("If-None-Match", etag.decode())]
        ours = await call(client, path, query, conditional)
        route = await call(client, path, query, conditional, fast=False)
        assert route.routed and route.status == 304, (path, query)
        assert not ours.routed and ours.status == 304, (path, query)
        # Every header, in the same order: ETag, Cache-Control, Vary, CSP, CORS, the security
        # headers and the request id.
        assert ours.headers == route.headers, (path, query)
        assert ours.body == route.body == b""
    # Weak and listed validators match as in the route.
    r = await call(client, BADGE, {"token": token}, [RID])
    tag = r.header(b"etag")
    assert tag
    listed = f'"other", W/{tag.decode()}'
    ours = await call(client, BADGE, {"token": token}, [RID, ("If-None-Match", listed)])
    assert not ours.routed and ours.status == 304


async def test_a_revoked_token_gets_no_304_right_after_the_revoke(
    client: Any, org: Org, pool: Any
) -> None:
    _, made = await _token(client, org, pool)
    q = {"token": made["token"]}
    etags = {}
    for path in (JSON, FRAME, BADGE):
        etags[path] = (await call(client, path, q)).header(b"etag")
        again = await call(client, path, q, [("If-None-Match", etags[path].decode())])
        assert again.status == 304 and not again.routed  # cached and answered up front
    r = await client.delete(f"/api/v1/widget-tokens/{made['id']}", headers=org.headers)
    assert r.status_code == 204
    for path in (JSON, FRAME, BADGE):
        after = await call(client, path, q, [("If-None-Match", etags[path].decode())])
        assert after.status == 404 and after.routed, path
        assert after.header(b"cache-control") == b"no-store"


async def test_anything_unusual_goes_to_the_route_and_gets_its_usual_answer(
    client: Any, org: Org, pool: Any
) -> None:
    world, made = await _token(client, org, pool)
    token = made["token"]
    etag = (await call(client, JSON, {"token": token})).header(b"etag")
    assert etag
    inm = ("If-None-Match", etag.decode())
    cases: list[tuple[Any, list[tuple[str, str]], int]] = [
        ({"token": token}, [], 200),  # no validator
        ({"token": token}, [("If-None-Match", '"stale"')], 200),  # another ETag
        ({"token": token}, [("If-None-Match", "")], 200),
        ({"token": token, "waves": "99"}, [inm], 400),
        ({"token": token, "lang": "xx"}, [inm], 400),
        ({"token": token, "team": "not-a-uuid"}, [inm], 400),
        ({"token": token, "team": str(world.small)}, [inm], 404),  # another team
        ({"token": token[:-1] + "A"}, [inm], 404),  # unknown token
        ({"token": "x" * 300}, [inm], 400),
        ([("token", token), ("token", token)], [inm], 304),  # repeated parameter
        ({"token": token}, [inm, inm], 304),  # two validators
        ({"token": token}, [inm, ("Origin", "https://evil.example")], 403),
        ({"token": token}, [inm, ("Origin", ORIGIN), ("Origin", ORIGIN)], 304),
    ]
    for query, headers, status in cases:
        ours = await call(client, JSON, query, [RID, *headers])
        route = await call(client, JSON, query, [RID, *headers], fast=False)
        assert ours.routed, (query, headers)
        assert (ours.status, ours.headers, ours.body) == (route.status, route.headers, route.body)
        assert ours.status == status, (query, headers, ours.status)
    # The other forms answer bad parameters and tokens in their own kind, as before.
    for path, kind in ((BADGE, b"image/svg+xml"), (FRAME, b"text/html; charset=utf-8")):
        tag = (await call(client, path, {"token": token})).header(b"etag")
        assert tag
        for query, status in (({"token": token, "size": "xl"}, 400), ({"token": "cwt_x"}, 404)):
            r = await call(client, path, query, [("If-None-Match", tag.decode())])
            assert r.routed and r.status == status and r.header(b"content-type") == kind


async def test_head_behaves_as_before(client: Any, org: Org, pool: Any) -> None:
    _, made = await _token(client, org, pool)
    q = {"token": made["token"]}
    for path in (JSON, FRAME, BADGE):
        etag = (await call(client, path, q)).header(b"etag")
        assert etag
        for headers in ([RID], [RID, ("If-None-Match", etag.decode())]):
            ours = await call(client, path, q, headers, method="HEAD")
            route = await call(client, path, q, headers, method="HEAD", fast=False)
            assert ours.routed and ours.body == b""
            assert (ours.status, ours.headers) == (route.status, route.headers)
        assert ours.status == 304


class _AccessLog:
    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def info(self, event: str, **fields: Any) -> None:
        self.lines.append({"event": event, **fields})


@contextmanager
def _access_log() -> Iterator[_AccessLog]:
    recorder, saved = _AccessLog(), observe.log
    observe.log = recorder
    try:
        yield recorder
    finally:
        observe.log = saved


async def test_a_fast_304_is_logged_and_counted_like_the_routes(
    client: Any, org: Org, pool: Any
) -> None:
    _, made = await _token(client, org, pool)
    q = {"token": made["token"]}
    for path in (JSON, FRAME, BADGE):
        etag = (await call(client, path, q)).header(b"etag")
        assert etag
        inm = [("If-None-Match", etag.decode())]
        key = ("GET", path, 304)
        before = _METRICS.counts.get(key, 0)
        with _access_log() as log:
            ours = await call(client, path, q, inm)
            route = await call(client, path, q, inm, fast=False)
        assert not ours.routed and route.routed
        assert _METRICS.counts.get(key, 0) == before + 2
        assert [{k: v for k, v in line.items() if k != "ms"} for line in log.lines] == [
            {"event": "request", "method": "GET", "route": path, "status": 304}
        ] * 2


async def test_the_rate_limit_holds_on_the_fast_path(
    settings: Settings, org: Org, pool: Any, redis_url: str
) -> None:
    """A 304 up front counts once, as through the route; over the limit, the route's 429."""
    limited = create_app(msgspec.structs.replace(settings, rate_limit_enabled=True))
    async with AsyncTestClient(app=limited) as c:
        _, made = await _token(c, org, pool)
        q = {"token": made["token"]}
        etag = (await call(c, BADGE, q)).header(b"etag")
        assert etag
        inm = [("If-None-Match", etag.decode())]
        redis = Redis.from_url(redis_url)
        try:
            window = int(time.time()) // WIDGET.per_seconds
            counter = (
                f"candor:rl:{WIDGET.bucket}:{client_key(CLIENT[0], settings.secret_key)}:{window}"
            )
            before = int(await redis.get(counter) or 0)
            ours = await call(c, BADGE, q, inm)
            if int(time.time()) // WIDGET.per_seconds == window:  # not across a window's edge
                assert int(await redis.get(counter) or 0) == before + 1
            assert ours.status == 304 and not ours.routed
            # Over the limit: the route answers, with its problem details and Retry-After.
            window = int(time.time()) // WIDGET.per_seconds
            counter = counter.rsplit(":", 1)[0] + f":{window}"
            await redis.set(counter, WIDGET.requests, ex=WIDGET.per_seconds + 1)
            over = await call(c, BADGE, q, inm)
            assert over.status == 429 and over.routed
            assert over.header(b"retry-after")
            assert (over.header(b"content-type") or b"").startswith(b"application/problem+json")
        finally:
            await redis.aclose()


async def test_other_paths_and_methods_never_take_the_fast_path(
    client: Any, org: Org, pool: Any
) -> None:
    _, made = await _token(client, org, pool)
    q = {"token": made["token"]}
    etag = (await call(client, JSON, q)).header(b"etag")
    assert etag
    inm = [("If-None-Match", etag.decode())]
    slash = await call(client, JSON + "/", q, inm)  # the router normalises it; we leave it alone
    assert slash.routed and slash.status == 304
    post = await call(client, JSON, q, inm, method="POST")
    assert post.status == 405 and post.header(b"allow") == b"GET, OPTIONS"  # the router's
    js = await call(client, "/embed/v1/candor.js", {}, [("If-None-Match", "*")])
    assert js.routed and js.status == 304
    assert (await call(client, f"/embed/v1/{uuid4()}", q, inm)).status == 404
