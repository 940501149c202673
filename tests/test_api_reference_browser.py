"""The API reference at /schema in headless Chromium: the operations are listed (not a blank
page), the page runs under its strict CSP with no error, and no request leaves this server.

A screenshot is saved as docs/img/api-docs.png for the README and docs/development.md.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.browser import (  # Chromium, the live app and the checks every browser test shares
    ARGS,
    CHROMIUM,
    browser,
    live,
    pytestmark,
)
from tests.factories import ROOT

__all__ = ["browser", "live", "pytestmark"]


async def test_the_api_reference_shows_every_operation_from_this_server_alone(
    live: str,
) -> None:
    from playwright.async_api import async_playwright

    origin = urlsplit(live).netloc
    requested: list[str] = []
    problems: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda r: requested.append(r.url))
        page.on(
            "response",
            lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None,
        )
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
        response = await page.goto(live + "/schema")
        assert response is not None and response.status == 200
        csp = await response.header_value("content-security-policy") or ""
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
        assert "https:" not in csp

        operations = page.locator(".opblock")
        await operations.first.wait_for(state="visible")
        spec = await (await page.request.get(live + "/schema/openapi.json")).json()
        expected = sum(
            1
            for item in spec["paths"].values()
            for method in item
            if method in ("get", "put", "post", "delete", "patch", "head", "options")
        )
        assert await operations.count() == expected
        assert await page.locator(".opblock-summary-path").filter(has_text="/health").count()
        title = await page.locator(".info .title").inner_text()
        assert "Candor" in title

        # Open one operation: its description and body schema render from the same local spec.
        teams = page.locator(".opblock-post").filter(
            has=page.locator(".opblock-summary-path", has_text=re.compile(r"^/api/v1/teams$"))
        )
        await teams.locator(".opblock-summary").click()
        await teams.locator(".opblock-body").wait_for(state="visible")
        await page.screenshot(path=str(ROOT / "docs" / "img" / "api-docs.png"))
        await browser.close()

    assert problems == []
    elsewhere = [u for u in requested if urlsplit(u).scheme not in ("data", "blob")]
    elsewhere = [u for u in elsewhere if urlsplit(u).netloc != origin]
    assert elsewhere == []
    assert any(u.endswith("/schema/assets/swagger-ui-bundle.js") for u in requested)
