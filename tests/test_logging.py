"""Logs: one structured line per request, with its request id, and never a raw path."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap


def test_access_log_is_json_with_request_id_and_route_template_only(
    database_url: str, redis_url: str
) -> None:
    # A separate process, so the JSON log configuration is the one production uses.
    script = textwrap.dedent(
        """
        import asyncio
        import sys
        from litestar import get
        from litestar.testing import AsyncTestClient
        from service.app import create_app
        from service.settings import load_settings

        s = load_settings({"SECRET_KEY": "Zq7-vL2pXe9_KmT4rWc8NbY1hUo6FsAj3dGi",
                           "LOG_FORMAT": "json", "LOG_LEVEL": "INFO",
                           "DATABASE_URL": sys.argv[1], "REDIS_URL": sys.argv[2]})
        app = create_app(s)

        @get("/probe/{secret:str}", include_in_schema=False)
        async def probe(secret: str) -> str:
            return "ok"

        app.register(probe)

        async def main():
            async with AsyncTestClient(app=app) as c:
                r = await c.get(
                    "/probe/TOKEN-SHOULD-NOT-APPEAR", headers={"X-Request-Id": "req-42"}
                )
                assert r.status_code == 200, r.text

        asyncio.run(main())
        """
    )
    r = subprocess.run(
        [sys.executable, "-c", script, database_url, redis_url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = r.stdout + r.stderr
    assert "TOKEN-SHOULD-NOT-APPEAR" not in out
    lines = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("event") == "request"]
    assert access, out
    assert access[0]["request_id"] == "req-42"
    assert access[0]["route"] == "/probe/{secret}"
    assert access[0]["status"] == 200
