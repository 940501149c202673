"""Request bodies, against the app served for real: hostile JSON and bodies that never end.

A body nested thousands of levels deep is a 400 on every JSON route (and a 401 first where a
key is required), never a 500 or a traceback in the log.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest
from litestar.routes import HTTPRoute

from service.auth import provide_principal
from tests.conftest import make_org
from tests.fuzz_world import Server, serve_app, server_env

DEEP_BODIES = [b"[" * 2000, b"{" * 2000, b'{"name": ' + b"[" * 5000, b"[" * 900 + b"]" * 900]


@pytest.fixture(scope="module")
def server(
    database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("bodies")
    env = server_env(database_url, redis_url, folder / "data")
    with serve_app(env, folder / "server.log") as live:
        yield live


def _needs_key(handler: Any) -> bool:
    return any(p.dependency is provide_principal for p in handler.resolve_dependencies().values())


def _body_routes(app: Any) -> list[tuple[str, str, Any, Any]]:
    """(method, path template, handler, kwargs model) of every POST and PATCH route."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, model) in route.route_handler_map.items():
            if method in ("POST", "PATCH"):
                found.append((method, route.path, handler, model))
    return found


def _takes_json(handler: Any, model: Any) -> bool:
    return (
        "data" in handler.parsed_fn_signature.parameters
        and not model.expected_form_data
        and not model.expected_msgpack_data
    )


def _url(template: str) -> str:
    path = re.sub(r"\{[^}]+:uuid\}", str(uuid4()), template)
    return re.sub(r"\{[^}]+:str\}", "x" * 20, path)


async def test_deeply_nested_json_is_a_400_after_authentication_and_never_logged(
    app: Any, server: Server, pool: asyncpg.Pool
) -> None:
    org = await make_org(pool)
    routes = _body_routes(app)
    json_routes = [r for r in routes if _takes_json(r[2], r[3])]
    # Not vacuous: the admin API's JSON routes are all in the list.
    assert {("POST", "/api/v1/keys"), ("PATCH", "/api/v1/teams/{team_id:uuid}")} <= {
        (m, p) for m, p, _, _ in json_routes
    }
    assert len(json_routes) >= 10
    json_type = {"content-type": "application/json"}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as c:
        for method, path, handler, model in routes:
            for body in DEEP_BODIES:
                what = (method, path, body[:12])
                anonymous = await c.request(method, _url(path), content=body, headers=json_type)
                if _needs_key(handler):
                    assert anonymous.status_code == 401, what
                    assert anonymous.headers["content-type"].startswith("application/problem+json")
                    assert "Bearer" in anonymous.headers["www-authenticate"]
                else:
                    assert 400 <= anonymous.status_code < 500, what
                r = await c.request(
                    method,
                    _url(path),
                    content=body,
                    headers={**json_type, "Authorization": f"Bearer {org.admin_key}"},
                )
                assert 400 <= r.status_code < 500, (what, r.status_code, r.text)
                if _takes_json(handler, model):
                    assert r.status_code == 400, (what, r.text)
                    assert r.headers["content-type"].startswith("application/problem+json")
                    problem = r.json()
                    assert problem["status"] == 400 and problem["title"], what
    log = server.log_tail(100_000)
    assert "Traceback" not in log and "unhandled_error" not in log, server.log_tail()
