"""The admin console's pulses and waves pages in headless Chromium: set up a pulse with its
preview (overlap confirmed on the page), open a wave now, close it after the confirmation, with
no console error under the real CSP; and an accessibility check (axe-core) of every one of these
pages, the preview included: no serious or critical violation.

Screenshots go to docs/img/admin-pulses-*.png (docs/admin-guide.md shows the overlap one). As in
tests/test_console_browser.py, axe runs in a second context opened with bypass_csp=True.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from service.console.sessions import COOKIE
from tests.browser import (  # Chromium, the live app and the checks every browser test shares
    IMG,
    axe,
    axe_here,
    browser,
    live,
    pytestmark,
    watch,
)
from tests.factories import signed_in
from tests.worlds import console_world

__all__ = ["browser", "live", "pytestmark"]


async def _preview_product(page: Any, live: str) -> None:
    await page.goto(f"{live}/console/admin/pulses/new")
    await page.get_by_label("Name").fill("Product deep dive")
    await page.get_by_label("Product", exact=True).check()
    await page.get_by_role("button", name="Preview").click()


async def test_an_admin_sets_up_a_pulse_and_runs_a_wave_in_the_browser(
    live: str, browser: Any, pool: asyncpg.Pool
) -> None:
    w = await console_world(pool)
    admin = await signed_in(pool, w.org.id, w.admin)
    cookie = {"name": COOKIE, "value": admin.cookie, "url": live}
    context = await browser.new_context(viewport={"width": 1180, "height": 900})
    await context.add_cookies([cookie])
    page = await context.new_page()
    problems = watch(page, r"status of 40")
    IMG.mkdir(parents=True, exist_ok=True)

    await page.goto(f"{live}/console/admin")
    await page.get_by_role("link", name="Pulses").click()
    assert "Fortnightly team pulse" in await page.locator("table").inner_text()
    await page.screenshot(path=str(IMG / "admin-pulses-list.png"), full_page=True)

    await _preview_product(page, live)
    preview = await page.locator("#preview").inner_text()
    assert "A wave would invite 33 people." in preview
    assert "33 of them in “Fortnightly team pulse”" in preview
    await page.screenshot(path=str(IMG / "admin-pulses-preview.png"), full_page=True)
    # Saving without the confirmation: the browser asks first (the box is required), and the
    # server refuses too when the browser does not.
    await page.locator("#allow_overlap").evaluate("e => e.removeAttribute('required')")
    await page.get_by_role("button", name="Save").click()
    assert "tick “I confirm”" in await page.locator(".error-summary").inner_text()
    await page.get_by_label("I confirm: these people may be asked by both pulses").check()
    await page.get_by_role("button", name="Save").click()
    assert "The pulse was saved." in await page.locator("main").inner_text()
    pulse_url = page.url.split("?")[0]

    await page.goto(f"{live}/console/admin/waves")
    await page.screenshot(path=str(IMG / "admin-pulses-waves.png"), full_page=True)
    form = page.locator("form", has_text="Product deep dive")
    await form.get_by_role("button", name="Open the next wave now").click()
    assert "The wave is open" in await page.locator("main").inner_text()
    assert "Reminders sent" in await page.locator("main").inner_text()
    await page.screenshot(path=str(IMG / "admin-pulses-wave.png"), full_page=True)
    wave_url = page.url.split("?")[0]
    await page.get_by_role("link", name="Close now…").click()
    assert "cannot be undone" in await page.locator("main").inner_text()
    await page.screenshot(path=str(IMG / "admin-pulses-close.png"), full_page=True)
    close_url = page.url
    await page.get_by_role("button", name="Close the wave now").click()
    assert "The wave is closed" in await page.locator("main").inner_text()

    await page.get_by_role("button", name="Nederlands").click()
    assert await page.get_attribute("html", "lang") == "nl"
    await page.goto(f"{live}/console/admin/pulses/new")
    await page.screenshot(path=str(IMG / "admin-pulses-new-nl.png"), full_page=True)
    await page.get_by_role("button", name="English").click()

    checker = await browser.new_context(bypass_csp=True)
    await checker.add_cookies([cookie])
    found: list[str] = []
    for url in (
        f"{live}/console/admin",
        f"{live}/console/admin/pulses",
        f"{live}/console/admin/pulses/new",
        pulse_url,
        f"{live}/console/admin/waves",
        wave_url,
        close_url,
    ):
        found += await axe(checker, url)
    checked = await checker.new_page()
    await _preview_product(checked, live)
    found += await axe_here(checked)
    await checked.get_by_role("button", name="Save").click(no_wait_after=True)
    await checked.locator("#name").fill("")
    await checked.locator("#allow_overlap").check()
    await checked.locator("#name").evaluate("e => e.removeAttribute('required')")
    await checked.get_by_role("button", name="Save").click()
    assert "Give the pulse a name." in await checked.locator(".error-summary").inner_text()
    found += await axe_here(checked)
    await checker.close()
    await context.close()
    assert found == []
    assert problems == []
