"""The leaders' console in headless Chromium: sign in through the mailed link, use every page,
by mouse and by keyboard alone, with no console error; and an accessibility check (axe-core) of
every console page, the respondent page and the widget frame: no serious or critical violation.

Screenshots of each page are saved into docs/img/ for docs/console.md. axe is injected into a
second browser context opened with bypass_csp=True (the app's CSP forbids any injected script,
as it should); the walk itself runs under the real CSP, so a violation would be a console error.
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg

from service.console.sending import sweep_console_mail
from service.settings import Settings
from tests.browser import (  # Chromium, the live app and the checks every browser test shares
    IMG,
    axe,
    browser,
    live,
    pytestmark,
    watch,
)
from tests.factories import make_org, make_widget_token
from tests.smtp import MailBox
from tests.worlds import ConsoleWorld, console_world, open_test_wave

__all__ = ["browser", "live", "pytestmark"]


async def _sign_in(
    page: Any, live: str, pool: asyncpg.Pool, settings: Settings, mailbox: MailBox, email: str
) -> None:
    await page.goto(f"{live}/console/teams")
    assert "/console/sign-in" in page.url
    await page.get_by_label("Work email address").fill(email)
    await page.get_by_role("button", name="Email me a sign-in link").click()
    assert await page.locator("h1").inner_text() == "Check your email"
    await sweep_console_mail({"pool": pool, "settings": settings})
    body = mailbox.messages[-1].get_body(preferencelist=("plain",))
    assert body is not None
    link = re.search(r"/console/link/[A-Za-z0-9_-]{43}", body.get_content())
    assert link
    await page.goto(live + link.group(0))
    await page.get_by_role("button", name="Sign in").click()
    # Let my-teams finish loading: a goto that interrupts it would count as a failed request.
    await page.wait_for_load_state()
    assert page.url.endswith("/console/teams")


async def test_a_leader_signs_in_by_mail_and_uses_every_page(
    live: str, browser: Any, pool: asyncpg.Pool, settings: Settings, mailbox: MailBox, client: Any
) -> None:
    w = await console_world(pool)
    context = await browser.new_context(viewport={"width": 1180, "height": 900})
    page = await context.new_page()
    problems = watch(page)
    await _sign_in(page, live, pool, settings, mailbox, "lead@demo.example")
    IMG.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(IMG / "console-teams.png"), full_page=True)

    await page.get_by_role("link", name="Heatmap").click()
    assert await page.locator("table.heat tbody tr").count() == 5
    await page.screenshot(path=str(IMG / "console-heatmap.png"), full_page=True)
    async with page.expect_download() as download:
        await page.get_by_role("link", name="Download as CSV").click()
    assert (await download.value).suggested_filename.startswith("heatmap-")

    await page.locator("table.heat").get_by_role("link", name="Mobile").click()
    assert await page.locator("h1").inner_text() == "Mobile"
    assert await page.locator("svg.chart").count() >= 4
    await page.get_by_role("link", name="Questions").click()
    assert await page.locator("span.wording").count() > 4
    await page.screenshot(path=str(IMG / "console-items.png"), full_page=True)
    await page.get_by_role("link", name="Talk about it").click()
    assert await page.locator("ol.questions li").count() >= 3
    await page.screenshot(path=str(IMG / "console-talk.png"), full_page=True)
    await page.get_by_role("link", name="Record what the team will try").click()
    await page.get_by_label("Theme").select_option("speaking_up")
    await page.get_by_label("What we will try").fill("Open each planning with a round of concerns")
    await page.get_by_label("Also show this focus on the team's widget").check()
    await page.get_by_role("button", name="Save the focus").click()
    assert "The focus is saved." in await page.locator("main").inner_text()
    await page.screenshot(path=str(IMG / "console-focus.png"), full_page=True)
    await page.get_by_role("link", name="Trend").click()
    assert await page.locator("g.focus").count() == 1
    await page.screenshot(path=str(IMG / "console-team.png"), full_page=True)
    await page.get_by_role("link", name="My teams").click()
    await page.get_by_role("link", name="Product").first.click()
    assert await page.locator("h1").inner_text() == "Product"

    await page.get_by_role("link", name="Settings").click()
    await page.get_by_label("Email me when a round's results are in").uncheck()
    await page.get_by_role("button", name="Save").click()
    assert "saved" in await page.locator("main").inner_text()
    await page.get_by_role("button", name="Nederlands").click()
    assert await page.get_attribute("html", "lang") == "nl"
    await page.get_by_role("link", name="Mijn teams").click()
    await page.screenshot(path=str(IMG / "console-teams-nl.png"), full_page=True)
    await page.get_by_role("button", name="English").click()

    # Another subtree, another org: the same 404 page as for nothing at all.
    other = await console_world(pool, "Other Co")
    for team in (w.teams["Field sales"], other.teams["Platform"]):
        r = await page.goto(f"{live}/console/teams/{team}")
        assert r.status == 404 and await page.locator("h1").inner_text() == "Page not found"

    urls = [
        f"{live}/console/teams",
        f"{live}/console/teams/{w.teams['Mobile']}",
        f"{live}/console/teams/{w.teams['Design']}",
        f"{live}/console/teams/{w.teams['Mobile']}/items",
        f"{live}/console/teams/{w.teams['Mobile']}/talk",
        f"{live}/console/teams/{w.teams['Mobile']}/focus",
        f"{live}/console/heatmap",
        f"{live}/console/settings",
        f"{live}/console/no-such-page",
    ]
    checker = await browser.new_context(bypass_csp=True)
    await checker.add_cookies(await context.cookies())
    found = [v for url in urls for v in await axe(checker, url)]
    await page.goto(f"{live}/console/teams")
    await page.get_by_role("button", name="Sign out").click()
    assert "signed out" in await page.locator("main").inner_text()
    await page.screenshot(path=str(IMG / "console-sign-in.png"))
    found += await axe(checker, f"{live}/console/sign-in")
    await checker.close()
    await context.close()
    assert found == []
    assert problems == []


async def test_the_team_page_by_keyboard_alone(
    live: str, browser: Any, pool: asyncpg.Pool, settings: Settings, mailbox: MailBox
) -> None:
    w = await console_world(pool)
    context = await browser.new_context()
    page = await context.new_page()
    problems = watch(page)
    await _sign_in(page, live, pool, settings, mailbox, "lead@demo.example")
    await page.goto(f"{live}/console/teams/{w.teams['Platform']}")

    async def tab_to(name: str) -> None:
        for _ in range(60):
            await page.keyboard.press("Tab")
            text = await page.evaluate("document.activeElement.textContent.trim()")
            if text == name:
                return
        raise AssertionError(f"never reached {name!r} by Tab")

    # The skip link comes first and lands on the content.
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Skip to content"
    await tab_to("Focus")
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r".*/focus$"))

    async def tab_until(js: str) -> None:
        for _ in range(60):
            await page.keyboard.press("Tab")
            if await page.evaluate(js):
                return
        raise AssertionError(f"never reached {js} by Tab")

    await tab_until("document.activeElement.id === 'dimension'")
    await tab_until("document.activeElement.id === 'try_text'")
    await page.keyboard.type("Ask one quiet voice first in every retro")
    await tab_until("document.activeElement.id === 'show_on_widget'")  # the date keeps today
    await page.keyboard.press("Space")
    await tab_until("document.activeElement.type === 'submit'")
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r".*/focus\?saved=1$"))
    assert "Ask one quiet voice first" in await page.locator("main").inner_text()
    row = await pool.fetchrow("SELECT dimension, shown_on_widget FROM team_focus")
    assert row["dimension"] == "psychological_safety" and row["shown_on_widget"]
    await context.close()
    assert problems == []


async def test_the_respondent_page_and_the_widget_frame_pass_axe(
    live: str, browser: Any, pool: asyncpg.Pool, client: Any
) -> None:
    w: ConsoleWorld = await console_world(pool)
    token = await make_widget_token(client, w.org.headers, w.teams["Platform"])
    org = await make_org(pool, "Respondents Co")
    wave = await open_test_wave(pool, org.id, locale="en")
    context = await browser.new_context(bypass_csp=True)
    found = []
    for url in (
        f"{live}/s/{wave.tokens[0]}",
        f"{live}/s/{wave.tokens[1]}?lang=nl",
        f"{live}/embed/v1/frame?token={token['token']}&theme=light",
        f"{live}/embed/v1/frame?token={token['token']}&theme=dark",
    ):
        found += await axe(context, url)
    await context.close()
    assert found == []
