"""The admin console's org area in headless Chromium: the org chart, a team's page (a leader
added, a small team's "report with" choice), the people pages and the CSV import from upload
to applied, with no console error; and an accessibility check (axe-core) of each page: no
serious or critical violation. Screenshots go to docs/img/admin-org-*.png.

The walk runs under the app's real CSP; axe is injected in a second context opened with
bypass_csp=True, as in test_console_browser.py.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import asyncpg

from service.console.sessions import COOKIE, COOKIE_PATH
from tests.browser import (  # Chromium, the live app and the checks every browser test shares
    IMG,
    axe,
    browser,
    live,
    pytestmark,
    watch,
)
from tests.factories import signed_in
from tests.worlds import console_world

__all__ = ["browser", "live", "pytestmark"]

CSV = b"""email,display_name,team,leads
admin@demo.example,Alex Admin,,
newbie@demo.example,Nico Nieuw,Product/Platform,
quinn@demo.example,Quinn Lead,Product/Research,Product/Research
"""


async def test_an_admin_uses_every_org_page(live: str, browser: Any, pool: asyncpg.Pool) -> None:
    w = await console_world(pool)
    signed = await signed_in(pool, w.org.id, w.admin)
    context = await browser.new_context(viewport={"width": 1180, "height": 900})
    await context.add_cookies(
        [
            {
                "name": COOKIE,
                "value": signed.cookie,
                "domain": urlparse(live).hostname,
                "path": COOKIE_PATH,
            }
        ]
    )
    page = await context.new_page()
    problems = watch(page)
    IMG.mkdir(parents=True, exist_ok=True)

    await page.goto(f"{live}/console/admin")
    await page.get_by_role("link", name="Org chart").click()
    assert await page.locator("h1").inner_text() == "Org chart"
    assert "led by Pat Lead" in await page.locator("ul.tree").inner_text()
    await page.screenshot(path=str(IMG / "admin-org-chart.png"), full_page=True)

    # A team's page: add a leader, pick whom the small Design team is reported with.
    await page.locator("ul.tree").get_by_role("link", name="Design").click()
    assert await page.locator("h1").inner_text() == "Design"
    await page.get_by_label("Add a leader (email address)").fill("admin@demo.example")
    await page.get_by_role("button", name="Save leaders").click()
    assert "The leaders have been saved." in await page.locator("main").inner_text()
    await page.get_by_label("Report this team together with").select_option(str(w.teams["Data"]))
    await page.get_by_role("button", name="Save the choice").click()
    assert "The choice has been saved." in await page.locator("main").inner_text()
    await page.screenshot(path=str(IMG / "admin-org-team.png"), full_page=True)
    team_url = page.url.split("?")[0]

    # The people pages: search, open, edit.
    await page.goto(f"{live}/console/admin/people")
    await page.get_by_label("Name or email").fill("pat")
    await page.get_by_role("button", name="Search").click()
    await page.screenshot(path=str(IMG / "admin-org-people.png"), full_page=True)
    await page.get_by_role("link", name="Pat Lead").click()
    await page.get_by_label("Language of mails and pages").select_option("nl")
    await page.get_by_role("button", name="Save").click()
    assert "Saved." in await page.locator("main").inner_text()
    await page.screenshot(path=str(IMG / "admin-org-person.png"), full_page=True)
    person_url = page.url.split("?")[0]
    assert await pool.fetchval("SELECT locale FROM people WHERE email = 'lead@demo.example'") == (
        "nl"
    )

    # The import: upload, the diff, apply.
    await page.goto(f"{live}/console/admin/org")
    await page.get_by_role("link", name="Upload a people CSV").click()
    await page.screenshot(path=str(IMG / "admin-org-import.png"), full_page=True)
    await page.set_input_files(
        "#file", files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": CSV}]
    )
    await page.get_by_role("button", name="Check the file").click()
    main = await page.locator("main").inner_text()
    assert "New people: 2" in main and "New leader roles: 1" in main
    await page.screenshot(path=str(IMG / "admin-org-import-preview.png"), full_page=True)
    await page.get_by_role("button", name="Apply these changes").click()
    assert await page.locator("h1").inner_text() == "People imported"
    await page.screenshot(path=str(IMG / "admin-org-import-done.png"), full_page=True)
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM people WHERE email LIKE 'newbie@%' OR email LIKE 'quinn@%'"
        )
        == 2
    )
    await page.goto(f"{live}/console/admin/org")
    assert "led by Quinn Lead" in await page.locator("ul.tree").inner_text()

    # In Dutch, and a file with a problem: its line in words.
    await page.get_by_role("button", name="Nederlands").click()
    assert await page.get_attribute("html", "lang") == "nl"
    await page.screenshot(path=str(IMG / "admin-org-chart-nl.png"), full_page=True)
    await page.goto(f"{live}/console/admin/org/import")
    await page.set_input_files(
        "#file",
        files=[
            {
                "name": "bad.csv",
                "mimeType": "text/csv",
                "buffer": b"email,display_name,leads\nx@demo.example,X,Nowhere/Team\n",
            }
        ],
    )
    await page.get_by_role("button", name="Bestand controleren").click()
    assert re.search(r"2\s+leads\s+Unknown team", await page.locator("main").inner_text())
    await page.screenshot(path=str(IMG / "admin-org-import-errors-nl.png"), full_page=True)
    await page.get_by_role("button", name="English").click()

    urls = [
        f"{live}/console/admin",
        f"{live}/console/admin/org",
        f"{live}/console/admin/org/import",
        team_url,
        f"{live}/console/admin/teams/{w.teams['Product']}",
        f"{live}/console/admin/people",
        f"{live}/console/admin/people?q=a",
        person_url,
    ]
    checker = await browser.new_context(bypass_csp=True)
    await checker.add_cookies(await context.cookies())
    found = [v for url in urls for v in await axe(checker, url)]
    # The preview and error pages are answers to a POST: check them as the browser got them.
    for html in (await _posted(checker, live, CSV), await _posted(checker, live, b"x")):
        found += html
    await checker.close()
    await context.close()
    assert found == []
    # Chromium notes the 422 document of the deliberately bad file; nothing else may show up.
    assert [p for p in problems if "status of 422" not in p] == []


async def _posted(context: Any, live: str, body: bytes) -> list[str]:
    """axe on the page an upload answers with (the preview, or the problems)."""
    from axe_playwright_python.async_playwright import Axe

    page = await context.new_page()
    await page.goto(f"{live}/console/admin/org/import")
    await page.set_input_files(
        "#file", files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": body}]
    )
    await page.get_by_role("button", name="Check the file").click()
    results = await Axe().run(page)
    await page.close()
    return [
        f"{v['id']} ({v['impact']}) @ upload: {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
