"""Schemathesis against the app's own OpenAPI schema, the app served for real under granian.

Every operation, as an admin, as a leader on a subtree, with a widget token and with no
credentials, on a seeded two-org database of its own: no 5xx, every response as documented
(status, content type, headers, body), invalid input refused, every 4xx problem details (or a
4xx page / image for people). This is the CI size; `uv run python bench/fuzz.py` runs the full
one (thousands of cases). tests/fuzz_run.py has the checks, tests/fuzz_world.py the world.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import schemathesis

from tests.factories import Org
from tests.fuzzer import QUICK, problem_details, run_fuzz
from tests.servers import scratch_database, serve_app
from tests.worlds import fuzz_server_env, seed_fuzz_world


async def test_fuzzing_every_route_finds_nothing(
    server_dsn: str, redis_url: str, tmp_path: Path
) -> None:
    async with scratch_database(server_dsn) as dsn:
        world = await seed_fuzz_world(dsn)
        env = fuzz_server_env(dsn, redis_url, tmp_path / "data")
        with serve_app(env, tmp_path / "server.log") as server:
            report = await asyncio.to_thread(run_fuzz, server, world, QUICK)
            schema = schemathesis.openapi.from_url(server.base_url + "/schema/openapi.json")
            operations = {r.ok().label for r in schema.get_all_operations()}
            findings = report.describe_findings(server)
    assert not report.findings, findings
    # Not vacuous: every operation was called, and each kind of credential got real answers
    # (a broken key would turn the whole run into 401s that pass every check).
    assert set(report.by_operation) == operations
    assert report.cases >= 400
    for profile in ("admin", "leader", "widget", "anonymous"):
        assert report.ok_by_profile[profile] > 0, (profile, report.summary())
    assert report.passed["not_a_server_error"] == report.cases


class _Response:
    def __init__(self, status: int, content_type: str, body: bytes) -> None:
        self.status_code = status
        self.headers = {"content-type": [content_type]}
        self.content = body


class _Operation:
    def __init__(self, path: str) -> None:
        self.path = path


class _Case:
    def __init__(self, path: str) -> None:
        self.operation = _Operation(path)


def test_problem_details_check_refuses_plain_json_and_accepts_people_pages() -> None:
    api = _Case("/api/v1/teams")
    good = b'{"status": 404, "title": "Not found", "type": "about:blank"}'
    problem_details(None, _Response(404, "application/problem+json", good), api)  # type: ignore[arg-type]
    for response in (
        _Response(404, "application/json", good),
        _Response(404, "application/problem+json", b'{"status": 400, "title": "x"}'),
        _Response(404, "application/problem+json", b'{"status": 404}'),
        _Response(404, "text/html", b"<p>nope</p>"),
    ):
        try:
            problem_details(None, response, api)  # type: ignore[arg-type]
        except AssertionError:
            continue
        raise AssertionError(f"accepted {response.headers} {response.content!r}")
    frame = _Case("/embed/v1/frame")
    problem_details(None, _Response(404, "text/html; charset=utf-8", b"<p>gone</p>"), frame)  # type: ignore[arg-type]
    try:
        problem_details(None, _Response(404, "application/json", b"{}"), frame)  # type: ignore[arg-type]
    except AssertionError:
        pass
    else:
        raise AssertionError("a JSON error on a page for people was accepted")


async def test_a_nul_character_in_text_is_a_400_not_a_500(client: Any, org: Org) -> None:
    # Found by the fuzzer: valid JSON may carry \u0000, which PostgreSQL text cannot store.
    body = {"email": "nul@example.test", "display_name": "Nul\u0000Person"}
    r = await client.post("/api/v1/people", json=body, headers=org.headers)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 400
    people = await client.get("/api/v1/people", headers=org.headers)
    assert people.json()["total"] == 0
