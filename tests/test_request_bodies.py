"""Request bodies, against the app served for real: hostile JSON and bodies that never end.

A body nested thousands of levels deep is a 400 on every JSON route (and a 401 first where a
key is required), never a 500 or a traceback in the log. A body trickled in slower than
BODY_TIMEOUT_SECONDS allows is cut off with a 408 problem, and the handler never runs.
"""

from __future__ import annotations

import asyncio
import re
import select
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import asyncpg
import httpx
import pytest
from litestar.routes import HTTPRoute

from service.auth import provide_principal
from tests.factories import make_org
from tests.servers import LiveServer, serve_app
from tests.worlds import fuzz_server_env

BODY_TIMEOUT = 1  # seconds, in this module's server
DEEP_BODIES = [b"[" * 2000, b"{" * 2000, b'{"name": ' + b"[" * 5000, b"[" * 900 + b"]" * 900]


@pytest.fixture(scope="module")
def server(
    database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("bodies")
    env = {
        **fuzz_server_env(database_url, redis_url, folder / "data"),
        "BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
    }
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
    app: Any, server: LiveServer, pool: asyncpg.Pool
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
                elif path.startswith("/console") and anonymous.status_code == 303:
                    # A console form without a session goes to sign in; its body is never read.
                    assert anonymous.headers["location"].startswith("/console/sign-in"), what
                    continue
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


@dataclass
class Answer:
    status: int
    head: str
    body: bytes
    seconds: float  # from the first byte sent to the response's status line
    sent: int  # body bytes sent before the response came


def trickle(base_url: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
    """Send the request line and headers at once, then the body two bytes every 0.15 s,
    stopping as soon as the server answers; read the answer."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    with socket.create_connection((host, port), timeout=20) as sock:
        start = time.monotonic()
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        sent = 0
        while sent < len(body):
            ready, _, _ = select.select([sock], [], [], 0.15)
            if ready:
                break
            try:
                sock.sendall(body[sent : sent + 2])
            except OSError:  # the server stopped listening to us
                break
            sent += 2
        raw = b""
        seconds = None
        while b"\r\n\r\n" not in raw:
            chunk = sock.recv(65536)
            if not chunk:
                break
            seconds = seconds or time.monotonic() - start
            raw += chunk
        head, _, rest = raw.partition(b"\r\n\r\n")
        head_text = head.decode("latin-1")
        length = re.search(r"(?im)^content-length:\s*(\d+)", head_text)
        while length and len(rest) < int(length.group(1)):
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    status = int(head_text.split(" ", 2)[1]) if head_text else 0
    return Answer(status, head_text, rest, seconds or 0.0, sent)


async def test_a_trickled_body_is_cut_off_with_408_before_the_handler_runs(
    server: LiveServer, pool: asyncpg.Pool
) -> None:
    org = await make_org(pool)
    auth = {"Authorization": f"Bearer {org.admin_key}"}
    key = b'{"name": "slowloris", "role": "admin", "scope_team_ids": []}'
    cases = [
        ("/api/v1/keys", {**auth, "Content-Type": "application/json"}, key),
        ("/api/v1/respond/" + "t" * 43, {"Content-Type": "application/json"}, b'{"answers": {}}'),
        ("/s/" + "t" * 43, {"Content-Type": "application/x-www-form-urlencoded"}, b"x" * 60),
    ]
    for path, headers, body in cases:
        # At 2 bytes per 0.15 s, each body needs over a second: longer than the server allows.
        assert len(body) / 2 * 0.15 > BODY_TIMEOUT + 0.1
        answer = await asyncio.to_thread(trickle, server.base_url, path, headers, body)
        assert answer.status == 408, (path, answer.head, answer.body[:300])
        assert answer.sent < len(body), path
        assert BODY_TIMEOUT - 0.2 < answer.seconds < BODY_TIMEOUT + 2, (path, answer.seconds)
        assert "application/problem+json" in answer.head, path
        assert b'"status":408' in answer.body, path
    # The handler never ran: no key was made.
    assert await pool.fetchval("SELECT count(*) FROM api_keys WHERE name = 'slowloris'") == 0
    # A body that arrives in time is served as before.
    async with httpx.AsyncClient(base_url=server.base_url) as c:
        r = await c.post(
            "/api/v1/keys", content=key, headers={**auth, "Content-Type": "application/json"}
        )
        assert r.status_code == 201, r.text
