"""The HTTP plumbing every route shares: health, problem details, headers, auth, OpenAPI."""

from __future__ import annotations

import re
from typing import Any
from uuid import uuid4

from litestar.routes import HTTPRoute

from service.auth import requires_principal
from tests.factories import Org


async def test_health_answers_ok(client: Any) -> None:
    r = await client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


async def test_ready_reports_both_backends(client: Any) -> None:
    r = await client.get("/ready")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "postgres": "ok", "redis": "ok"}


async def test_security_headers_on_every_response(client: Any) -> None:
    for path in ("/health", "/no-such-route"):
        r = await client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert r.headers["x-request-id"]


async def test_request_id_is_echoed_when_sane_and_replaced_when_not(client: Any) -> None:
    r = await client.get("/health", headers={"X-Request-Id": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await client.get("/health", headers={"X-Request-Id": "<script>" + "x" * 100})
    assert r.headers["x-request-id"] != "<script>" + "x" * 100


async def test_unknown_route_is_problem_details(client: Any) -> None:
    r = await client.get("/nope")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 404 and body["title"]


async def test_wrong_method_is_problem_details(client: Any) -> None:
    r = await client.delete("/health")
    assert r.status_code == 405
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_admin_route_without_key_is_401(client: Any) -> None:
    r = await client.get("/api/v1/org")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "Bearer" in r.headers["www-authenticate"]


async def test_garbage_and_unknown_keys_are_401(client: Any, org: Org) -> None:
    for value in ("Bearer nope", "Basic abc", "Bearer cnd_" + "A" * 43, "Bearer " + "x" * 5000):
        r = await client.get("/api/v1/org", headers={"Authorization": value})
        assert r.status_code in (401, 431), value


async def test_admin_key_sees_its_own_org(client: Any, org: Org) -> None:
    r = await client.get("/api/v1/org", headers=org.headers)
    assert r.status_code == 200
    assert r.json()["id"] == str(org.id)


async def test_keys_are_shown_once_stored_hashed_and_revocable(
    client: Any, org: Org, pool: Any
) -> None:
    r = await client.post(
        "/api/v1/keys", json={"name": "ops", "role": "admin"}, headers=org.headers
    )
    assert r.status_code == 201
    key = r.json()["key"]
    stored = await pool.fetchval(
        "SELECT count(*) FROM api_keys WHERE key_hash::text LIKE $1", f"%{key}%"
    )
    assert stored == 0
    listed = (await client.get("/api/v1/keys", headers=org.headers)).json()
    assert all("key" not in k for k in listed)
    new_headers = {"Authorization": f"Bearer {key}"}
    assert (await client.get("/api/v1/org", headers=new_headers)).status_code == 200
    r = await client.delete(f"/api/v1/keys/{r.json()['id']}", headers=org.headers)
    assert r.status_code == 204
    assert (await client.get("/api/v1/org", headers=new_headers)).status_code == 401


async def test_key_of_one_org_cannot_touch_anothers_keys(
    client: Any, org: Org, other_org: Org
) -> None:
    theirs = (await client.get("/api/v1/keys", headers=other_org.headers)).json()
    r = await client.delete(f"/api/v1/keys/{theirs[0]['id']}", headers=org.headers)
    assert r.status_code == 404
    assert (await client.get("/api/v1/org", headers=other_org.headers)).status_code == 200


async def test_bad_key_bodies_are_4xx_and_store_nothing(client: Any, org: Org, pool: Any) -> None:
    before = await pool.fetchval("SELECT count(*) FROM api_keys")
    bad: list[Any] = [
        {"name": "", "role": "admin"},
        {"name": "x", "role": "root"},
        {"name": "x", "role": "leader"},
        {"name": "x", "role": "leader", "scope_team_ids": ["00000000-0000-0000-0000-000000000001"]},
        {"name": "x", "role": "admin", "extra": 1},
        {"name": "x" * 500, "role": "admin"},
        [],
        "not json",
    ]
    for body in bad:
        r = await client.post("/api/v1/keys", json=body, headers=org.headers)
        assert 400 <= r.status_code < 500, body
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.post(
        "/api/v1/keys",
        content=b"\xff\xfe{",
        headers={**org.headers, "content-type": "application/json"},
    )
    assert r.status_code == 400
    assert await pool.fetchval("SELECT count(*) FROM api_keys") == before


async def test_oversized_body_is_413(client: Any, org: Org) -> None:
    r = await client.post(
        "/api/v1/keys",
        content=b'{"name": "' + b"x" * 2_000_000 + b'", "role": "admin"}',
        headers={**org.headers, "content-type": "application/json"},
    )
    assert r.status_code == 413


async def test_openapi_31_describes_every_route(client: Any, app: Any) -> None:
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200
    spec = r.json()
    assert spec["openapi"].startswith("3.1")
    documented = set(spec["paths"])
    # Every route but the schema's own pages (and the dev-only outbox, absent in production).
    for route in app.routes:
        if route.path.startswith(("/schema", "/dev/")):
            continue
        templ = route.path_format if hasattr(route, "path_format") else route.path
        assert templ in documented, templ


async def test_metrics_need_the_operators_token_and_never_count_respondents(
    settings: Any, pool: Any
) -> None:
    import msgspec
    from litestar.testing import AsyncTestClient

    from service.app import create_app

    # Without METRICS_TOKEN (the test settings), /metrics does not exist.
    async with AsyncTestClient(app=create_app(settings)) as c:
        assert (await c.get("/metrics")).status_code == 404
    token = "m" * 16 + "T" * 16 + "0123456789"
    app = create_app(msgspec.structs.replace(settings, metrics_token=token))
    async with AsyncTestClient(app=app) as c:
        await c.get("/health")
        await c.get("/s/" + "x" * 43)  # a respondent link (unknown): never counted
        await c.post("/api/v1/respond/" + "x" * 43, json={"answers": {}})
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token}):
            r = await c.get("/metrics", headers=headers)
            assert r.status_code == 401, headers
            assert r.headers["www-authenticate"].startswith("Bearer")
        r = await c.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
        assert 'route="/health"' in r.text
        assert "candor_http_requests_total" in r.text
        assert "/s/" not in r.text and "/api/v1/respond" not in r.text


async def test_schema_has_a_browsable_ui(client: Any) -> None:
    for path in ("/schema", "/schema/swagger"):
        r = await client.get(path)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/html")


def _get_routes(app: Any) -> list[tuple[str, Any]]:
    return [
        (route.path, handler)
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for method, (handler, _) in route.route_handler_map.items()
        if method == "GET"
    ]


def _url(template: str) -> str:
    path = re.sub(r"\{[^}]+:uuid\}", str(uuid4()), template)
    return re.sub(r"\{[^}]+:str\}", "abc", path)


async def test_head_answers_like_get_without_a_body_on_every_get_route(
    client: Any, app: Any, org: Org
) -> None:
    routes = _get_routes(app)
    assert {"/health", "/ready", "/api/v1/org", "/embed/v1/frame"} <= {p for p, _ in routes}
    for template, handler in routes:
        url = _url(template)
        headers = org.headers if requires_principal(handler) else {}
        got = await client.get(url, headers=headers)
        head = await client.head(url, headers=headers)
        assert head.status_code == got.status_code, (template, head.status_code, head.text)
        assert head.content == b"", template
        # A console form cookie is set once per browser (the client keeps it from the GET).
        skip = {"x-request-id", "set-cookie"}
        skip |= {"content-length"} if template == "/metrics" else set()
        assert {k: v for k, v in head.headers.items() if k not in skip} == {
            k: v for k, v in got.headers.items() if k not in skip
        }, template


async def _raw(app: Any, method: str, path: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """The ASGI messages the app sends for one request (the HTTP client hides a HEAD body)."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver.local", 80),
        "state": {},
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def test_head_sends_no_body_bytes(client: Any, app: Any) -> None:
    # Routes that answer without the database: the app's pool belongs to the test client's loop.
    for path in ("/health", "/", "/api/v1/org", "/nope", "/embed/v1/candor.js"):
        get = await _raw(app, "GET", path, {})
        head = await _raw(app, "HEAD", path, {})
        assert b"".join(m.get("body", b"") for m in get), path
        assert b"".join(m.get("body", b"") for m in head) == b"", path
        assert head[0]["status"] == get[0]["status"], path
        assert head[-1] == {"type": "http.response.body", "body": b"", "more_body": False}


async def test_head_where_there_is_no_get_is_still_405(client: Any) -> None:
    r = await client.head("/api/v1/items/some.item/retire")  # a POST-only route
    assert r.status_code == 405
    assert "GET" not in r.headers["allow"]
