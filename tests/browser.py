"""What every headless-Chromium test shares: where Chromium is, how it is started, the app over
real HTTP, a watch on console errors, and the axe-core check (0 serious or critical findings).

A test module takes the fixtures by importing them (`from tests.browser import browser, live,
pytestmark`) and lists them in `__all__`, so they are not unused imports.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from service.app import create_app
from service.settings import Settings
from tests.factories import ROOT
from tests.servers import app_in_thread

CHROMIUM = "/usr/bin/chromium"
IMG = ROOT / "docs" / "img"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"headless Chromium not at {CHROMIUM}"),
]


@pytest.fixture(scope="module")
def live(settings: Settings) -> Iterator[str]:
    """The app over real HTTP in a thread (its own loop and pool), mail to the test SMTP server."""
    with app_in_thread(create_app(settings)) as url:
        yield url


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        await b.close()


def watch(page: Any, deliberate: str = r"status of 404") -> list[str]:
    """Collect the page's console errors, page errors and failed requests.

    Chromium notes every 4xx document it loads as a console error; `deliberate` (a regular
    expression) names the statuses a test provokes on purpose, which are not problems.
    """
    problems: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error" and not re.search(deliberate, message.text):
            problems.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    return problems


async def axe_here(page: Any) -> list[str]:
    """The serious and critical axe-core findings on the page as it is now."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}) @ {page.url}: {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def axe(context: Any, url: str) -> list[str]:
    """axe-core on `url`, opened in a page of `context` (one made with bypass_csp=True)."""
    page = await context.new_page()
    await page.goto(url)
    found = await axe_here(page)
    await page.close()
    return found
