"""The admin console's keys, widget tokens and audit log pages in headless Chromium, under the
real CSP: make and revoke a key, make a widget token and see its live preview render, filter
the audit log; an accessibility check (axe-core) of each page, and screenshots for the docs
(docs/img/admin-keys-*.png).

As in tests/test_console_browser.py, axe runs in a second browser context opened with
bypass_csp=True; the walk itself runs under the app's CSP, so a blocked frame or resource would
show up as a console error.
"""

from __future__ import annotations

import re
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


async def test_an_admin_makes_and_revokes_keys_and_widgets_and_reads_the_log(
    live: str, browser: Any, pool: asyncpg.Pool
) -> None:
    w = await console_world(pool)
    s = await signed_in(pool, w.org.id, w.admin)
    cookie = {"name": COOKIE, "value": s.cookie, "url": live}
    context = await browser.new_context(viewport={"width": 1180, "height": 900})
    await context.add_cookies([cookie])
    page = await context.new_page()
    problems = watch(page, r"status of 40[09]")
    IMG.mkdir(parents=True, exist_ok=True)

    # API keys: make a team lead key; its secret shows once.
    await page.goto(f"{live}/console/admin")
    await page.get_by_role("link", name="API keys").click()
    assert await page.locator("h1").inner_text() == "API keys"
    await page.get_by_label("Name", exact=True).fill("HR dashboard")
    await page.get_by_label("Team lead key").check()
    await page.get_by_label("Platform").check()
    await page.get_by_label("Mobile").check()
    await page.screenshot(path=str(IMG / "admin-keys-form.png"), full_page=True)
    await page.get_by_role("button", name="Make the key").click()
    assert await page.locator("h1").inner_text() == "Your new API key"
    secret = await page.get_by_label("The key").input_value()
    assert re.fullmatch(r"cnd_[A-Za-z0-9_-]{43}", secret)
    assert "/console/admin/keys" in page.url and secret not in page.url
    await page.screenshot(path=str(IMG / "admin-keys-new.png"), full_page=True)
    await page.get_by_role("link", name="I have stored it").click()
    assert secret not in await page.content()
    row = page.locator("tr", has_text="HR dashboard")
    assert "Mobile, Platform" in await row.inner_text()
    await page.screenshot(path=str(IMG / "admin-keys-list.png"), full_page=True)

    # Revoke it, after a confirmation that says what revoking does.
    await row.get_by_role("link", name="Revoke").click()
    assert await page.locator("h1").inner_text() == "Revoke this API key?"
    await page.screenshot(path=str(IMG / "admin-keys-revoke.png"), full_page=True)
    revoke_url = page.url
    await page.get_by_role("button", name="Yes, revoke the key").click()
    assert "The key is revoked." in await page.locator("main").inner_text()
    assert "revoked on" in await page.locator("tr", has_text="HR dashboard").inner_text()

    # Widget tokens: make one for Product; the snippets and a live preview of the widget.
    await page.get_by_role("link", name="Admin").first.click()
    await page.get_by_role("link", name="Widget tokens").click()
    await page.get_by_label("Label").fill("Product wiki")
    await page.get_by_label("Team", exact=True).select_option(str(w.teams["Product"]))
    await page.get_by_label("Sites that may embed it").fill("https://wiki.example.com")
    await page.get_by_role("button", name="Make the token").click()
    assert await page.locator("h1").inner_text() == "Your new widget token"
    iframe_snippet = await page.get_by_label("As a frame").input_value()
    assert re.search(
        r'<iframe src="[^"]+/embed/v1/frame\?token=cwt_[A-Za-z0-9_-]{43}"', iframe_snippet
    )
    preview = page.frame_locator("#preview")
    await preview.locator("svg.chart").first.wait_for(state="visible")
    assert await preview.locator("svg.chart").count() >= 1
    assert "Product" in await preview.locator("body").inner_text()
    badge = page.locator("#badge-preview")
    await badge.wait_for(state="visible")
    assert await badge.evaluate("img => img.complete && img.naturalWidth > 0")
    await page.screenshot(path=str(IMG / "admin-keys-widget-new.png"), full_page=True)
    widget_axe_checked = await _axe_checked_widget_result(browser, cookie, live, w.teams["Product"])
    await page.get_by_role("link", name="I have stored it").click()
    await page.screenshot(path=str(IMG / "admin-keys-widgets.png"), full_page=True)

    # The audit log: newest first, with the person's name; filter by action.
    await page.goto(f"{live}/console/admin/audit")
    body = await page.locator("table").inner_text()
    assert body.index("widget_token.create") < body.index("key.revoke") < body.index("key.create")
    assert "Alex Admin" in body
    await page.get_by_label("Action").select_option("key.revoke")
    await page.get_by_role("button", name="Show").click()
    assert "Entries 1 to 1 of 1" in await page.locator("main").inner_text()
    await page.goto(f"{live}/console/admin/audit")
    await page.screenshot(path=str(IMG / "admin-keys-audit.png"), full_page=True)
    bad = await page.goto(f"{live}/console/admin/audit?since=last+week")
    assert bad is not None and bad.status == 400
    assert "year-month-day" in await page.locator(".error-summary").inner_text()

    checker = await browser.new_context(bypass_csp=True)
    await checker.add_cookies([cookie])
    found = [
        v
        for url in (
            f"{live}/console/admin",
            f"{live}/console/admin/keys",
            revoke_url,
            f"{live}/console/admin/widgets",
            f"{live}/console/admin/audit",
            f"{live}/console/admin/audit?since=last+week",
        )
        for v in await axe(checker, url)
    ]
    # The key form's answer (the secret) and its error state.
    form_page = await checker.new_page()
    await form_page.goto(f"{live}/console/admin/keys")
    await form_page.get_by_label("Name", exact=True).fill("Checked")
    await form_page.get_by_role("button", name="Make the key").click()
    found += await axe_here(form_page)  # a team lead key without teams: the error summary
    await form_page.get_by_label("Admin key").check()
    await form_page.get_by_role("button", name="Make the key").click()
    assert await form_page.locator("h1").inner_text() == "Your new API key"
    found += await axe_here(form_page)
    await checker.close()
    await context.close()
    assert found + widget_axe_checked == []
    assert problems == []


async def _axe_checked_widget_result(
    browser: Any, cookie: dict[str, str], live: str, team: Any
) -> list[str]:
    """axe on the widget token's result page (snippets and the preview frame)."""
    checker = await browser.new_context(bypass_csp=True)
    await checker.add_cookies([cookie])
    page = await checker.new_page()
    await page.goto(f"{live}/console/admin/widgets")
    await page.get_by_label("Label").fill("Checked")
    await page.get_by_label("Team", exact=True).select_option(str(team))
    await page.get_by_role("button", name="Make the token").click()
    await page.frame_locator("#preview").locator("svg.chart").first.wait_for(state="visible")
    found = await axe_here(page)
    await checker.close()
    return found
