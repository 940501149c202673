"""The admin pages on a phone, in Dutch, with the system set to dark: every page fits the
screen's width (no sideways scrolling of the whole page) and keeps its words. Screenshots of
two of them go to docs/img/admin-mobile-*.png."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import asyncpg

from service.console.sessions import COOKIE, COOKIE_PATH
from tests.browser import IMG, browser, live, pytestmark, watch
from tests.factories import signed_in
from tests.worlds import console_world

__all__ = ["browser", "live", "pytestmark"]

PAGES = [
    "/console/admin",
    "/console/admin/org",
    "/console/admin/org/import",
    "/console/admin/people",
    "/console/admin/pulses",
    "/console/admin/pulses/new",
    "/console/admin/waves",
    "/console/admin/keys",
    "/console/admin/widgets",
    "/console/admin/audit",
]
SHOTS = {"/console/admin/pulses/new": "pulse-new", "/console/admin/org": "org"}


async def test_every_admin_page_fits_a_phone_in_dutch_and_dark(
    live: str, browser: Any, pool: asyncpg.Pool
) -> None:
    w = await console_world(pool)
    await pool.execute("UPDATE people SET locale = 'nl' WHERE id = $1", w.admin)
    signed = await signed_in(pool, w.org.id, w.admin)
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, color_scheme="dark", is_mobile=True
    )
    host = urlparse(live).hostname
    cookie = {"name": COOKIE, "value": signed.cookie, "domain": host, "path": COOKIE_PATH}
    await context.add_cookies([cookie])
    page = await context.new_page()
    problems = watch(page)
    too_wide = []
    for path in PAGES:
        r = await page.goto(live + path)
        assert r is not None and r.status == 200, path
        assert await page.get_attribute("html", "lang") == "nl", path
        width = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1] + 1:
            too_wide.append((path, width))
        if path in SHOTS:
            await page.screenshot(path=IMG / f"admin-mobile-{SHOTS[path]}.png", full_page=True)
    await context.close()
    assert not too_wide, too_wide
    assert not problems, problems
